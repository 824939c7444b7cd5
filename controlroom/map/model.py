"""What the map shows, as plain JSON-ready dicts: village outlines and live markers.

Pure (no Qt, no I/O): the map widget sends these dicts to the page's JS layer, which keys
markers by their stable ``id`` (``camera/<id>``, ``sensor/<id>``, ``speaker/<id>``,
``alert/<id>``, ``report/<id>``, the PyDM-style addresses used everywhere else).
``MapModel.apply_*`` return the marker dict only when what the operator sees changed, so a
stream of equal readings sends nothing to the page. Sensor values are read from the core's
LiveState (the model keeps no copy); alerts arrive as typed ``Alert`` objects from the core's
one alert path (``AlertChanged``).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from controlroom.config import Config, SensorConfig, metric_label
from controlroom.alerts.model import Alert, AlertState
from controlroom.alerts.text import alert_title
from controlroom.domain import CitizenReport, DeviceStatus, Reading, SpeakerStatus
from controlroom.live_state import LiveState
from controlroom.sensors.status import limit_state
from controlroom.i18n import decimal_mark, format_number, tr

Marker = dict[str, Any]

LAYERS = ("villages", "cameras", "sensors", "speakers", "alerts", "reports")
MAX_REPORTS = 200  # citizen reports kept on the map; the oldest drop off first

GREY = "#7a8590"
CAMERA_COLOURS = {"live": "#1e88e5", "offline": GREY, "unknown": "#90a4ae"}
SPEAKER_COLOURS = {"idle": "#2e7d32", "playing": "#1565c0", "fault": "#c62828", "offline": GREY, "unknown": "#90a4ae"}
# Flood alarm levels (mức báo động) I-III; colours follow the usual yellow/orange/red warning scale.
WATER_COLOURS = {"normal": "#0277bd", "alarm_1": "#f9a825", "alarm_2": "#ef6c00", "alarm_3": "#c62828",
                 "mark_1": "#f9a825", "mark_2": "#ef6c00", "mark_3": "#c62828"}  # mark: the commune's own
THRESHOLD_COLOURS = {"normal": "#2e7d32", "warning": "#f9a825", "alarm": "#c62828"}
ALERT_COLOURS = {0: "#1e88e5", 1: "#f9a825", 2: "#ef6c00", 3: "#c62828"}
REPORT_COLOUR = "#6a1b9a"

# VN_AQI bands, Decision 1459/QĐ-TCMT (2019), tables 2-3: AQI breakpoints 0-50-100-150-200-300-400-500
# and the matching PM concentrations (µg/m³); colours are the decision's RGB values.
_AQI_BREAKPOINTS = (0, 50, 100, 150, 200, 300, 400, 500)
_PM_BREAKPOINTS = {
    "pm25": (0, 25, 50, 80, 150, 250, 350, 500),
    "pm10": (0, 50, 150, 250, 350, 420, 500, 600),
}
AQI_BANDS = (  # (upper AQI, key, colour)
    (50, "aqi_good", "#00e400"),
    (100, "aqi_moderate", "#ffff00"),
    (150, "aqi_poor", "#ff7e00"),
    (200, "aqi_bad", "#ff0000"),
    (300, "aqi_very_bad", "#8f3f97"),
    (10_000, "aqi_hazardous", "#7e0023"),
)


def state_label(state: str) -> str:
    """The Vietnamese word for a marker state (tooltips, legend)."""
    labels = {
        "live": tr("streaming"),
        "offline": tr("device offline"),
        "unknown": tr("no data yet"),
        "idle": tr("ready to broadcast"),
        "playing": tr("broadcasting now"),
        "fault": tr("speaker fault"),
        "normal": tr("within limits"),
        "warning": tr("above limit"),
        "alarm": tr("alarm threshold exceeded"),
        "alarm_1": tr("alarm level I"),
        "alarm_2": tr("alarm level II"),
        "alarm_3": tr("alarm level III"),
        "mark_1": tr("the commune's mark I"),
        "mark_2": tr("the commune's mark II"),
        "mark_3": tr("the commune's mark III"),
        "aqi_good": tr("AQI good"),
        "aqi_moderate": tr("AQI moderate"),
        "aqi_poor": tr("AQI poor"),
        "aqi_bad": tr("AQI bad"),
        "aqi_very_bad": tr("AQI very bad"),
        "aqi_hazardous": tr("AQI hazardous"),
    }
    return labels.get(state, state)


def pm_sub_index(metric: str, concentration: float) -> float | None:
    """Linear VN_AQI sub-index of one PM concentration (None for other metrics)."""
    points = _PM_BREAKPOINTS.get(metric)
    if points is None or concentration < 0:
        return None
    for i in range(1, len(points)):
        if concentration <= points[i]:
            lo_c, hi_c = points[i - 1], points[i]
            lo_i, hi_i = _AQI_BREAKPOINTS[i - 1], _AQI_BREAKPOINTS[i]
            return lo_i + (hi_i - lo_i) * (concentration - lo_c) / (hi_c - lo_c)
    return float(_AQI_BREAKPOINTS[-1])


def aqi_band(aqi: float) -> tuple[str, str]:
    for upper, key, colour in AQI_BANDS:
        if aqi <= upper:
            return key, colour
    return AQI_BANDS[-1][1], AQI_BANDS[-1][2]


def sensor_state(sensor: SensorConfig, values: dict[str, float]) -> tuple[str, str]:
    """(state, colour) of a sensor from its latest value per metric.

    Water level: alarm level I-III (or the commune's marks I-III); air quality: the VN_AQI band
    of the worst PM sub-index (an indicator from the latest hourly values, not the official daily
    index); other kinds: the configured thresholds."""
    if not values:
        return "unknown", CAMERA_COLOURS["unknown"]
    if sensor.kind == "water_level" and sensor.alarm_levels is not None:
        level = values.get("level", next(iter(values.values())))
        levels = sensor.alarm_levels
        passed = sum(level >= mark for mark in (levels.level_1, levels.level_2, levels.level_3))
        if not passed:
            return "normal", WATER_COLOURS["normal"]
        # a gauge's own marks are never called the state's alarm levels (its tiles say so too)
        state = f"{'alarm' if levels.official else 'mark'}_{passed}"
        return state, WATER_COLOURS[state]
    if sensor.kind == "air_quality":
        indices = [i for m, v in values.items() if (i := pm_sub_index(m, v)) is not None]
        if indices:
            return aqi_band(max(indices))
    worst = "normal"
    for metric, value in values.items():
        config = sensor.metrics.get(metric)
        limits = config.thresholds if config else None
        if limits is None:
            continue
        severity = limit_state(value, limits).severity  # the tiles' and the alert engine's comparison
        if severity == 2:
            worst = "alarm"
        elif worst == "normal" and severity == 1:
            worst = "warning"
    return worst, THRESHOLD_COLOURS[worst]


def _format_value(value: float) -> str:
    """0,81 / 41,2 / 1204 (in Vietnamese): no trailing zeros on a marker's tooltip."""
    if abs(value) >= 100:
        return format_number(value, 0)
    return format_number(value, 2).rstrip("0").rstrip(decimal_mark())


@dataclass(frozen=True)
class _Place:
    lat: float
    lon: float


class MapModel:
    """Current map state of one site; GUI-thread owned (fed by the Qt bridge's signals)."""

    def __init__(self, config: Config, live: LiveState) -> None:
        self.config = config
        self._live = live
        self._markers: dict[str, Marker] = {}
        self._online: dict[str, bool] = {}  # device id -> online
        self._speaker_state: dict[str, str] = {}
        self._sensor_by_device = {s.status_device_id: s for s in config.sensors}
        self._cameras = {c.id: c for c in config.cameras}
        self._speakers = {s.id: s for s in config.speakers}
        self._reports: OrderedDict[str, Marker] = OrderedDict()
        self._places: dict[str, _Place] = {}
        for item in (*config.cameras, *config.sensors, *config.speakers, *config.villages):
            self._places[item.id] = _Place(item.lat, item.lon)
        for camera in config.cameras:
            self._markers[f"camera/{camera.id}"] = self._camera_marker(camera.id)
        for sensor in config.sensors:
            self._markers[f"sensor/{sensor.id}"] = self._sensor_marker(sensor)
        for speaker in config.speakers:
            self._markers[f"speaker/{speaker.id}"] = self._speaker_marker(speaker.id)

    # -- static parts -------------------------------------------------------------------

    def villages_geojson(self) -> dict:
        """Village outlines (or a point where no outline is configured) with id and name."""
        features = []
        for village in self.config.villages:
            if len(village.outline) >= 3:
                ring = [[lon, lat] for lat, lon in village.outline]
                ring.append(ring[0])
                geometry = {"type": "Polygon", "coordinates": [ring]}
            else:
                geometry = {"type": "Point", "coordinates": [village.lon, village.lat]}
            speakers = sum(1 for s in self.config.speakers if s.village == village.id)
            features.append(
                {
                    "type": "Feature",
                    "properties": {
                        "id": village.id,
                        "name": village.name,
                        "tip": tr("Village {name}: {n} loudspeaker clusters", name=village.name, n=speakers),
                        "low_lying": village.low_lying,
                    },
                    "geometry": geometry,
                }
            )
        return {"type": "FeatureCollection", "features": features}

    def bounds(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """South-west and north-east corners around every configured thing."""
        lats = [p.lat for p in self._places.values()]
        lons = [p.lon for p in self._places.values()]
        for village in self.config.villages:
            lats += [lat for lat, _ in village.outline]
            lons += [lon for _, lon in village.outline]
        return (min(lats), min(lons)), (max(lats), max(lons))

    # -- live markers -------------------------------------------------------------------

    def markers(self) -> list[Marker]:
        """Every marker as it is now (the page's first full load)."""
        return [dict(m) for m in self._markers.values()] + [dict(m) for m in self._reports.values()]

    def marker(self, marker_id: str) -> Marker | None:
        return self._markers.get(marker_id) or self._reports.get(marker_id)

    def place_of(self, marker_or_entity_id: str) -> tuple[float, float] | None:
        """(lat, lon) of a marker id (``sensor/x``), an entity id or a village id."""
        marker = self.marker(marker_or_entity_id)
        if marker is not None:
            return marker["lat"], marker["lon"]
        entity = marker_or_entity_id.split("/")[1] if "/" in marker_or_entity_id else marker_or_entity_id
        place = self._places.get(entity)
        return (place.lat, place.lon) if place else None

    def _changed(self, marker: Marker) -> Marker | None:
        if self._markers.get(marker["id"]) == marker:
            return None
        self._markers[marker["id"]] = marker
        return dict(marker)

    def apply_device_status(self, status: DeviceStatus) -> list[Marker]:
        """A device went online/offline: its camera, sensor or speaker marker(s)."""
        self._online[status.device_id] = status.online
        changed = []
        if f"camera/{status.device_id}" in self._markers:
            changed.append(self._changed(self._camera_marker(status.device_id)))
        sensor = self._sensor_by_device.get(status.device_id)
        if sensor is not None:
            changed.append(self._changed(self._sensor_marker(sensor)))
        if f"speaker/{status.device_id}" in self._markers:
            changed.append(self._changed(self._speaker_marker(status.device_id)))
        return [m for m in changed if m is not None]

    def apply_speaker_status(self, status: SpeakerStatus) -> Marker | None:
        if f"speaker/{status.speaker_id}" not in self._markers:
            return None
        self._speaker_state[status.speaker_id] = status.state
        if status.state != "offline":
            self._online[status.speaker_id] = True
        return self._changed(self._speaker_marker(status.speaker_id))

    def apply_changed(self, latest: dict[str, Reading]) -> list[Marker]:
        """The bridge's changed addresses: at most one marker per sensor that changed."""
        changed = []
        for sensor_id in {address.split("/", 2)[1] for address in latest if address.startswith("sensor/")}:
            sensor = self.config.sensor(sensor_id)
            if sensor is not None and (m := self._changed(self._sensor_marker(sensor))) is not None:
                changed.append(m)
        return changed

    def apply_alert(self, alert: Alert, removed: bool = False) -> tuple[Marker | None, str | None]:
        """(marker to add or update, marker id to remove) for an alert as it is now."""
        marker_id = f"alert/{alert.id}"
        # normal (cleared), shelved and out-of-service alerts leave the map (ISA-18.2 states)
        if removed or alert.state in _ALERT_GONE:
            return None, marker_id if self._markers.pop(marker_id, None) is not None else None
        place = self._alert_place(alert)
        if place is None:
            return None, None
        priority = max(0, min(3, int(alert.priority) - 1))  # 0-3, low..critical (the payload's scale)
        marker = {
            "id": marker_id,
            "layer": "alerts",
            "lat": place[0],
            "lon": place[1],
            "state": alert.state.value,
            "color": ALERT_COLOURS[priority],
            "pulse": priority,
            "tip": [tr("Alert: {title}", title=alert_title(alert)), tr("Priority {p}", p=priority),
                    _alert_status_label(alert.state)],
        }
        return self._changed(marker), None

    def _alert_place(self, alert: Alert) -> tuple[float, float] | None:
        lat, lon = alert.detail.get("lat"), alert.detail.get("lon")
        if isinstance(lat, (int, float)) and isinstance(lon, (int, float)):
            return float(lat), float(lon)
        parts = alert.source.split("/")
        place = self.place_of(f"{parts[0]}/{parts[1]}" if len(parts) >= 2 else alert.source)
        if place is None and alert.village:
            place = self.place_of(alert.village)
        return place

    def apply_report(self, report: CitizenReport) -> tuple[Marker | None, str | None]:
        """A citizen report with a position: (marker, oldest report id dropped if over the cap)."""
        if report.lat is None or report.lon is None:
            return None, None
        marker_id = f"report/{report.report_id}"
        local = report.ts.astimezone(self.config.site.tz).strftime("%H:%M %d/%m")
        marker = {
            "id": marker_id,
            "layer": "reports",
            "lat": report.lat,
            "lon": report.lon,
            "state": report.category,
            "color": REPORT_COLOUR,
            "tip": [tr("Citizen report: {category}", category=report.category), report.text[:160], local],
        }
        self._reports[marker_id] = marker
        self._reports.move_to_end(marker_id)
        dropped = None
        if len(self._reports) > MAX_REPORTS:
            dropped, _ = self._reports.popitem(last=False)
        return dict(marker), dropped

    # -- marker builders ----------------------------------------------------------------

    def _camera_marker(self, camera_id: str) -> Marker:
        camera = self._cameras[camera_id]
        online = self._online.get(camera_id)
        state = "unknown" if online is None else ("live" if online else "offline")
        return {
            "id": f"camera/{camera_id}",
            "layer": "cameras",
            "lat": camera.lat,
            "lon": camera.lon,
            "state": state,
            "color": CAMERA_COLOURS[state],
            "tip": [tr("Camera: {name}", name=camera.name), state_label(state), tr("Click to open in the video wall")],
        }

    def _values(self, sensor: SensorConfig) -> dict[str, float]:
        readings = ((m, self._live.reading(f"sensor/{sensor.id}/{m}")) for m in sensor.metrics)
        return {m: r.value for m, r in readings if r is not None}

    def _sensor_marker(self, sensor: SensorConfig) -> Marker:
        values = self._values(sensor)
        if self._online.get(sensor.status_device_id) is False:
            state, colour = "offline", GREY
        else:
            state, colour = sensor_state(sensor, values)
        lines = [tr("Sensor: {name}", name=sensor.name), state_label(state)]
        for metric, value in list(values.items())[:3]:
            config = sensor.metrics.get(metric)
            label = metric_label(metric, config)
            lines.append(f"{label}: {_format_value(value)} {config.unit if config else ''}".rstrip())
        lines.append(tr("Click to open its graph"))
        return {
            "id": f"sensor/{sensor.id}",
            "layer": "sensors",
            "lat": sensor.lat,
            "lon": sensor.lon,
            "state": state,
            "color": colour,
            "tip": lines,
        }

    def _speaker_marker(self, speaker_id: str) -> Marker:
        speaker = self._speakers[speaker_id]
        state = self._speaker_state.get(speaker_id, "unknown")
        if self._online.get(speaker_id) is False:
            state = "offline"
        state = state if state in SPEAKER_COLOURS else "unknown"
        return {
            "id": f"speaker/{speaker_id}",
            "layer": "speakers",
            "lat": speaker.lat,
            "lon": speaker.lon,
            "state": state,
            "color": SPEAKER_COLOURS[state],
            "tip": [tr("Loudspeaker: {name}", name=speaker.name), state_label(state), tr("Click to select for broadcast")],
        }


_ALERT_GONE = (AlertState.NORMAL, AlertState.SHELVED, AlertState.OUT_OF_SERVICE)


def _alert_status_label(state: AlertState) -> str:
    return {
        AlertState.UNACKNOWLEDGED: tr("alert not yet acknowledged"),
        AlertState.RETURNED_UNACKNOWLEDGED: tr("back to normal, not yet acknowledged"),
        AlertState.ACKNOWLEDGED: tr("alert acknowledged"),
    }.get(state, state.value)
