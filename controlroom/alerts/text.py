"""Operator-facing words for an alert: a title and a one-line description, in the UI language.

The shared state carries only structured facts (kind, band, value, limit); each console
renders them in its own language, so a Vietnamese and an English console agree on meaning.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from controlroom.alerts.model import Alert, kind_label
from controlroom.config import label_in_ui_language
from controlroom.i18n import decimal_mark, format_number, tr

if TYPE_CHECKING:
    from controlroom.config import Config

ROMAN = {1: "I", 2: "II", 3: "III"}
AQI_BAND_KEYS = ("good", "moderate", "poor", "bad", "very_bad", "hazardous")


def aqi_band_label(band: int) -> str:
    """VN_AQI band names of Decision 1459/QĐ-TCMT, Bảng 1 (1 = Tốt ... 6 = Nguy hại)."""
    names = (tr("Good"), tr("Moderate"), tr("Poor"), tr("Bad"), tr("Very bad"), tr("Hazardous"))
    return names[band - 1] if 1 <= band <= 6 else "?"


def report_category_label(category: str | None) -> str:
    """Citizen-report categories (stable English slugs from the feedback bridge) in words."""
    labels = {
        "flooding": tr("flooding"), "fallen_tree": tr("fallen tree"), "landslide": tr("landslide"),
        "power_outage": tr("power outage"), "rescue": tr("rescue needed"), "environment": tr("environment"),
        "traffic": tr("traffic"), "infrastructure": tr("infrastructure"), "public_order": tr("public order"),
        "animal": tr("stray animals"),
    }
    return labels.get(category or "", category or "?")


def village_name(config: "Config", village_id: str | None) -> str:
    if not village_id:
        return ""
    for village in config.villages:
        if village.id == village_id:
            return village.name
    return village_id


def _num(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    # in the language of the sentence around it (tr): "2,37 m" in Vietnamese, "2.37 m" in English
    text = format_number(value, 2).rstrip("0").rstrip(decimal_mark()) if abs(value) < 1000 else format_number(value, 0)
    return f"{text} {unit}".strip()


def alert_title(alert: Alert) -> str:
    """Short: what kind of problem, at which place ("Mực nước — báo động II")."""
    d = alert.detail
    name = d.get("name") or alert.source
    label = label_in_ui_language(d["label"]) if d.get("label") else None
    if alert.kind == "threshold":
        direction = {("high", 1): tr("high"), ("high", 2): tr("high-high"), ("low", 1): tr("low"), ("low", 2): tr("low-low")}
        which = direction.get((alert.condition, max(alert.band, 1)), alert.condition)
        return tr("{label} {which} at {name}", label=label or "", which=which, name=name)
    if alert.kind == "alarm_level":
        level = ROMAN.get(max(alert.band, 1), "?")
        if d.get("official") is False:  # a gauge's own marks: never the state's alarm levels
            return tr("Water past the commune's mark {level} at {name}", level=level, name=name)
        return tr("Flood alarm level {level} at {name}", level=level, name=name)
    if alert.kind == "rate_of_rise":
        return tr("{label} rising fast at {name}", label=label or "", name=name)
    if alert.kind == "aqi_band":
        return tr("Air quality {band} at {name}", band=aqi_band_label(int(d.get("vn_aqi_band") or 0)), name=name)
    if alert.kind == "stale":
        return tr("No data from {name}", name=name)
    if alert.kind == "device_offline":
        return tr("Device offline: {name}", name=name)
    if alert.kind == "camera_offline":
        return tr("Camera offline: {name}", name=name)
    if alert.kind == "citizen_report":
        return tr("Citizen report: {category}", category=report_category_label(d.get("category")))
    if alert.kind == "manual":
        return str(d.get("title") or d.get("text") or kind_label("manual"))
    return f"{kind_label(alert.kind)}: {name}"


def alert_description(alert: Alert, tz=None) -> str:
    """One line with the numbers: value against limit, how long, the report's text."""
    d = alert.detail
    unit = d.get("unit", "")
    if alert.kind in ("threshold", "alarm_level"):
        return tr("value {value}, limit {limit}", value=_num(alert.value, unit), limit=_num(alert.limit, unit))
    if alert.kind == "rate_of_rise":
        return tr("rising {rate}/h (limit {limit}/h)", rate=_num(d.get("rate_per_hour"), unit), limit=_num(alert.limit, unit))
    if alert.kind == "aqi_band":
        return tr("VN_AQI {value}", value=_num(alert.value))
    if alert.kind == "stale":
        last = d.get("last_seen")
        if last and tz is not None:
            last = datetime.fromisoformat(last).astimezone(tz).strftime("%H:%M:%S %d/%m")
        return tr("last reading {when}", when=last or "—")
    if alert.kind in ("citizen_report", "manual"):
        return str(d.get("text") or "")
    return ""
