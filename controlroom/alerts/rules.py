"""Alert rules: their config schema (``[alerts]`` / ``[[alerts.rules]]``) and how a site's
config compiles into condition detectors. Pure: no threads, no I/O, no Qt.

Rules come from two places:

* derived ("auto", on by default): every metric with ``thresholds`` gets a threshold rule,
  every station with ``alarm_levels`` a flood-level rule (I/II/III), every sensor a stale-data
  rule and a device-offline rule, every camera a camera-offline rule, every air-quality
  station a VN_AQI rule;
* explicit ``[[alerts.rules]]`` entries, which add rules (rate of rise, say) or replace a
  derived one for the same source and condition.

A broken rule fails the config load with the key path and reason (``alerts.rules[2]...``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

from controlroom.alerts.conditions import (
    AqiDetector,
    LevelDetector,
    PresenceDetector,
    RateOfRiseDetector,
    StaleDetector,
    Target,
)
from controlroom.alerts.model import Priority
from controlroom.i18n import tr

if TYPE_CHECKING:
    from controlroom.config.schema import Config, SensorConfig

PriorityName = Literal["critical", "high", "medium", "low"]
AQI_BANDS = ("good", "moderate", "poor", "bad", "very_bad", "hazardous")  # Decision 1459/QĐ-TCMT, Bảng 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _SensorRule(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    enabled: bool = True
    sensors: list[str] = []  # empty: every sensor of `sensor_kind` (or every sensor)
    sensor_kind: Literal["air_quality", "water_level", "water_quality", "rain"] | None = None
    on_delay_s: float = Field(default=0.0, ge=0)
    off_delay_s: float = Field(default=0.0, ge=0)


class ThresholdRule(_SensorRule):
    """High / high-high and low / low-low limits of one metric, with a deadband."""

    kind: Literal["threshold"]
    metric: str
    low_low: float | None = None
    low: float | None = None
    high: float | None = None
    high_high: float | None = None
    deadband: float = Field(default=0.0, ge=0)
    priority: PriorityName = "high"  # of high / low
    priority_extreme: PriorityName = "critical"  # of high-high / low-low

    @model_validator(mode="after")
    def _ordered(self) -> "ThresholdRule":
        if all(v is None for v in (self.low_low, self.low, self.high, self.high_high)):
            raise ValueError(tr("give at least one of low_low, low, high, high_high"))
        ordered = [v for v in (self.low_low, self.low, self.high, self.high_high) if v is not None]
        if ordered != sorted(ordered) or len(set(ordered)) != len(ordered):
            raise ValueError(tr("limits must increase: low_low < low < high < high_high"))
        return self


class RateOfRiseRule(_SensorRule):
    """The metric rises faster than `per_hour` units per hour (e.g. water 0.3 m/h)."""

    kind: Literal["rate_of_rise"]
    metric: str
    per_hour: float = Field(gt=0)
    window_s: float = Field(default=1800.0, gt=0)
    priority: PriorityName = "high"


class StaleRule(_SensorRule):
    """No reading for `after_s` seconds (default: `factor` x the sensor's interval)."""

    kind: Literal["stale"]
    after_s: float | None = Field(default=None, gt=0)
    factor: float = Field(default=5.0, gt=1)
    priority: PriorityName = "low"


class DeviceOfflineRule(_Strict):
    """A device's status topic (or its Last Will) says offline."""

    kind: Literal["device_offline"]
    id: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    enabled: bool = True
    devices: list[str] = []  # empty: every sensor's status device
    on_delay_s: float = Field(default=30.0, ge=0)
    off_delay_s: float = Field(default=0.0, ge=0)
    priority: PriorityName = "medium"


class CameraOfflineRule(_Strict):
    """The camera wall's health check reports a camera offline."""

    kind: Literal["camera_offline"]
    id: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    enabled: bool = True
    cameras: list[str] = []  # empty: every camera
    on_delay_s: float = Field(default=60.0, ge=0)
    off_delay_s: float = Field(default=0.0, ge=0)
    priority: PriorityName = "medium"


class AlarmLevelRule(_SensorRule):
    """River level crossing flood alarm levels I / II / III (from the station's config)."""

    kind: Literal["alarm_level"]
    metric: str = "level"
    deadband: float = Field(default=0.05, ge=0)
    priorities: tuple[PriorityName, PriorityName, PriorityName] = ("medium", "high", "critical")


class AqiRule(_SensorRule):
    """VN_AQI at or above band `min_band`; one priority per band from `min_band` up."""

    kind: Literal["aqi_band"]
    min_band: Literal["moderate", "poor", "bad", "very_bad", "hazardous"] = "poor"
    priorities: list[PriorityName] = ["medium", "high", "high", "critical"]
    deadband: float = Field(default=5.0, ge=0)


class CitizenReportRule(_Strict):
    """Citizen feedback reports (phản ánh) on <site>/report/<id>; priority by category."""

    kind: Literal["citizen_report"]
    id: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    enabled: bool = True
    priority: PriorityName = "medium"
    categories: dict[str, PriorityName] = {}


AlertRule = Annotated[
    Union[ThresholdRule, RateOfRiseRule, StaleRule, DeviceOfflineRule, CameraOfflineRule, AlarmLevelRule, AqiRule, CitizenReportRule],
    Field(discriminator="kind"),
]


class AlertsConfig(_Strict):
    """The alert queue: rules, flood detection and chatter KPIs (ISA-18.2 / IEC 62682)."""

    auto_rules: bool = True
    threshold_on_delay_s: float = Field(default=0.0, ge=0)  # for rules derived from metric thresholds
    threshold_off_delay_s: float = Field(default=0.0, ge=0)
    stale_factor: float = Field(default=5.0, gt=1)
    flood_count: int = Field(default=10, ge=1)  # more than this many new alerts ...
    flood_window_s: float = Field(default=600.0, gt=0)  # ... within this window: flood mode
    chatter_count: int = Field(default=3, ge=2)  # ISA-18.2 TR5: 3 or more alarms in 1 minute
    chatter_window_s: float = Field(default=60.0, gt=0)
    keep_normal_s: float = Field(default=3600.0, ge=0)  # a cleared, acknowledged alert stays listed
    max_shelve_s: float = Field(default=12 * 3600.0, gt=0)
    sound: bool = True
    sound_min_priority: PriorityName = "high"
    cap_sender: str = ""  # CAP <sender>; default "<site>.controlroom"
    rules: list[AlertRule] = []

    def reference_problems(self, config: "Config") -> list[str]:
        """Rules naming sensors, metrics, devices or cameras the site does not have."""
        problems: list[str] = []
        sensors = {s.id: s for s in config.sensors}
        devices = {s.status_device_id for s in config.sensors}
        cameras = {c.id for c in config.cameras}
        seen: set[str] = set()
        for i, rule in enumerate(self.rules):
            key = f"alerts.rules[{i}]"
            if rule.id in seen:
                problems.append(f"{key}.id: " + tr("duplicate id {id}", id=repr(rule.id)))
            seen.add(rule.id)
            for j, sensor_id in enumerate(getattr(rule, "sensors", [])):
                sensor = sensors.get(sensor_id)
                if sensor is None:
                    problems.append(f"{key}.sensors[{j}]: " + tr("unknown sensor {id}", id=repr(sensor_id)))
                elif getattr(rule, "metric", None) and rule.kind != "alarm_level" and rule.metric not in sensor.metrics:
                    problems.append(f"{key}.metric: " + tr("sensor {sensor} has no metric {metric}", sensor=repr(sensor_id), metric=repr(rule.metric)))
                elif rule.kind == "alarm_level" and sensor.alarm_levels is None:
                    problems.append(f"{key}.sensors[{j}]: " + tr("sensor {id} has no alarm levels", id=repr(sensor_id)))
            for j, device_id in enumerate(getattr(rule, "devices", [])):
                if device_id not in devices:
                    problems.append(f"{key}.devices[{j}]: " + tr("unknown device {id}", id=repr(device_id)))
            for j, camera_id in enumerate(getattr(rule, "cameras", [])):
                if camera_id not in cameras:
                    problems.append(f"{key}.cameras[{j}]: " + tr("unknown camera {id}", id=repr(camera_id)))
            if rule.kind == "aqi_band":
                needed = len(AQI_BANDS) - AQI_BANDS.index(rule.min_band)
                if len(rule.priorities) != needed:
                    problems.append(f"{key}.priorities: " + tr("give {n} priorities, one per band from {band} up", n=needed, band=rule.min_band))
        return problems


# -- compiling a site's rules into detectors ----------------------------------------------

@dataclass
class RuleSet:
    """The detectors of one console, indexed by what feeds them."""

    by_metric: dict[tuple[str, str], list] = field(default_factory=dict)  # (sensor, metric) -> Level/Rate detectors
    stale: dict[str, StaleDetector] = field(default_factory=dict)  # sensor -> detector
    devices: dict[str, PresenceDetector] = field(default_factory=dict)  # device id -> detector
    cameras: dict[str, PresenceDetector] = field(default_factory=dict)  # camera id -> detector
    aqi: dict[str, AqiDetector] = field(default_factory=dict)  # sensor -> detector
    report_rule: CitizenReportRule | None = None

    def tickers(self):
        for detectors in self.by_metric.values():
            yield from detectors
        yield from self.devices.values()
        yield from self.cameras.values()
        yield from self.aqi.values()

    @property
    def rule_count(self) -> int:
        return sum(len(d) for d in self.by_metric.values()) + len(self.stale) + len(self.devices) + len(self.cameras) + len(self.aqi)


def _p(name: str) -> Priority:
    return Priority.parse(name)


def _sensor_target(sensor: "SensorConfig", metric: str | None) -> Target:
    source = f"sensor/{sensor.id}/{metric}" if metric else f"sensor/{sensor.id}"
    detail: dict = {"name": sensor.name}
    if metric and metric in sensor.metrics:
        detail.update(unit=sensor.metrics[metric].unit, label=sensor.metrics[metric].label or metric)
    detail.update(lat=sensor.lat, lon=sensor.lon)
    return Target(source, sensor.village, detail)


def _pick(config: "Config", rule) -> list["SensorConfig"]:
    if rule.sensors:
        return [s for s in config.sensors if s.id in set(rule.sensors)]
    return [s for s in config.sensors if rule.sensor_kind is None or s.kind == rule.sensor_kind]


def _threshold_detectors(target: Target, rule: ThresholdRule, on: float, off: float) -> list[LevelDetector]:
    detectors = []
    high = [(v, p) for v, p in ((rule.high, rule.priority), (rule.high_high, rule.priority_extreme)) if v is not None]
    low = [(v, p) for v, p in ((rule.low, rule.priority), (rule.low_low, rule.priority_extreme)) if v is not None]
    if high:
        detectors.append(LevelDetector(target, "high", "threshold", [v for v, _ in high], [_p(p) for _, p in high],
                                       rule.deadband, True, on, off))
    if low:
        detectors.append(LevelDetector(target, "low", "threshold", [v for v, _ in low], [_p(p) for _, p in low],
                                       rule.deadband, False, on, off))
    return detectors


def _derived_rules(config: "Config", alerts: AlertsConfig) -> list:
    rules: list = []
    for sensor in config.sensors:
        for metric, spec in sensor.metrics.items():
            t = spec.thresholds
            if t is not None and any(v is not None for v in (t.low_low, t.low, t.high, t.high_high)):
                rules.append(ThresholdRule(kind="threshold", id=f"auto-{sensor.id}-{metric}", sensors=[sensor.id], metric=metric,
                                           low_low=t.low_low, low=t.low, high=t.high, high_high=t.high_high, deadband=t.deadband,
                                           on_delay_s=alerts.threshold_on_delay_s, off_delay_s=alerts.threshold_off_delay_s))
        if sensor.alarm_levels is not None:
            rules.append(AlarmLevelRule(kind="alarm_level", id=f"auto-levels-{sensor.id}", sensors=[sensor.id],
                                        metric=next(iter(sensor.metrics))))
    rules.append(StaleRule(kind="stale", id="auto-stale", factor=alerts.stale_factor))
    rules.append(DeviceOfflineRule(kind="device_offline", id="auto-devices"))
    rules.append(CameraOfflineRule(kind="camera_offline", id="auto-cameras"))
    if any(s.kind == "air_quality" for s in config.sensors):
        rules.append(AqiRule(kind="aqi_band", id="auto-aqi", sensor_kind="air_quality"))
    rules.append(CitizenReportRule(kind="citizen_report", id="auto-reports"))
    return rules


def compile_rules(config: "Config", started: datetime, aqi_factory=None) -> RuleSet:
    """Build the detectors for `config`. Explicit rules replace derived ones that watch the
    same source and condition. `aqi_factory(sensor_id)` returns an `aqi_at(now_epoch_s)`
    function (the engine owns the hourly trackers); without it AQI rules are skipped."""
    alerts: AlertsConfig = config.alerts
    explicit = [r for r in alerts.rules if r.enabled]
    derived = _derived_rules(config, alerts) if alerts.auto_rules else []
    explicit_kinds = {r.kind for r in explicit if r.kind in ("stale", "device_offline", "camera_offline", "aqi_band", "citizen_report")}
    rules = [r for r in derived if r.kind not in explicit_kinds] + explicit
    found: dict[tuple[str, str], object] = {}  # (source, condition) -> detector; later rules replace earlier
    out = RuleSet()
    for rule in rules:
        if rule.kind == "threshold":
            for sensor in _pick(config, rule):
                if rule.metric in sensor.metrics:
                    for det in _threshold_detectors(_sensor_target(sensor, rule.metric), rule, rule.on_delay_s, rule.off_delay_s):
                        found[(det.target.source, det.condition)] = ((sensor.id, rule.metric), det)
        elif rule.kind == "rate_of_rise":
            for sensor in _pick(config, rule):
                if rule.metric in sensor.metrics:
                    det = RateOfRiseDetector(_sensor_target(sensor, rule.metric), rule.per_hour, rule.window_s, _p(rule.priority),
                                             rule.on_delay_s, rule.off_delay_s)
                    found[(det.target.source, "rate_of_rise")] = ((sensor.id, rule.metric), det)
        elif rule.kind == "alarm_level":
            for sensor in _pick(config, rule):
                levels = sensor.alarm_levels
                if levels is None or rule.metric not in sensor.metrics:
                    continue
                target = _sensor_target(sensor, rule.metric)
                target.detail["levels"] = [levels.level_1, levels.level_2, levels.level_3]
                det = LevelDetector(target, "alarm_level", "alarm_level", [levels.level_1, levels.level_2, levels.level_3],
                                    [_p(p) for p in rule.priorities], rule.deadband, True, rule.on_delay_s, rule.off_delay_s)
                found[(target.source, "alarm_level")] = ((sensor.id, rule.metric), det)
        elif rule.kind == "stale":
            for sensor in _pick(config, rule):
                after = rule.after_s or sensor.interval_s * rule.factor
                out.stale[sensor.id] = StaleDetector(_sensor_target(sensor, None), after, _p(rule.priority), started)
        elif rule.kind == "device_offline":
            names = {s.status_device_id: s for s in config.sensors}
            for device_id in rule.devices or list(names):
                sensor = names[device_id]
                target = Target(f"device/{device_id}", sensor.village, {"name": sensor.name, "lat": sensor.lat, "lon": sensor.lon})
                out.devices[device_id] = PresenceDetector(target, "offline", "device_offline", _p(rule.priority),
                                                          rule.on_delay_s, rule.off_delay_s)
        elif rule.kind == "camera_offline":
            chosen = set(rule.cameras)
            for camera in config.cameras:
                if chosen and camera.id not in chosen:
                    continue
                target = Target(f"camera/{camera.id}", camera.village, {"name": camera.name, "lat": camera.lat, "lon": camera.lon})
                out.cameras[camera.id] = PresenceDetector(target, "offline", "camera_offline", _p(rule.priority),
                                                          rule.on_delay_s, rule.off_delay_s)
        elif rule.kind == "aqi_band" and aqi_factory is not None:
            for sensor in _pick(config, rule):
                if sensor.kind != "air_quality":
                    continue
                min_band = AQI_BANDS.index(rule.min_band) + 1
                target = _sensor_target(sensor, None)
                out.aqi[sensor.id] = AqiDetector(target, aqi_factory(sensor.id), min_band, [_p(p) for p in rule.priorities],
                                                 rule.deadband, rule.on_delay_s, rule.off_delay_s)
        elif rule.kind == "citizen_report":
            out.report_rule = rule
    for key, det in found.values():
        out.by_metric.setdefault(key, []).append(det)
    return out
