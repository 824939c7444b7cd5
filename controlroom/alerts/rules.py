"""Alert rules: how a site's config (schema in ``controlroom.config.alerts``) compiles into
condition detectors. Pure: no threads, no I/O, no Qt.

Rules come from two places:

* derived ("auto", on by default): every metric with ``thresholds`` gets a threshold rule,
  every station with ``alarm_levels`` a flood-level rule (I/II/III), every sensor a stale-data
  rule and a device-offline rule, every camera a camera-offline rule, every air-quality
  station a VN_AQI rule;
* explicit ``[[alerts.rules]]`` entries, which add rules (rate of rise, say) or replace a
  derived one for the same source and condition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from controlroom.alerts.conditions import (
    AqiDetector,
    LevelDetector,
    PresenceDetector,
    RateOfRiseDetector,
    StaleDetector,
    Target,
)
from controlroom.alerts.model import Priority
from controlroom.config.alerts import (
    AQI_BANDS,
    AlarmLevelRule,
    AlertsConfig,
    AqiRule,
    CameraOfflineRule,
    CitizenReportRule,
    DeviceOfflineRule,
    StaleRule,
    ThresholdRule,
)

if TYPE_CHECKING:
    from controlroom.config import Config, SensorConfig


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
                                       rule.deadband, True, on, off, reaching_counts=False))
    if low:
        detectors.append(LevelDetector(target, "low", "threshold", [v for v, _ in low], [_p(p) for _, p in low],
                                       rule.deadband, False, on, off, reaching_counts=False))
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
                target.detail["official"] = levels.official  # the commune's own marks are titled as such
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
