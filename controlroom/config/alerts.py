"""The alert rules' schema: ``[alerts]`` and ``[[alerts.rules]]`` of a commune's config.

A broken rule fails the config load with the key path and reason (``alerts.rules[2]...``);
`controlroom.alerts.rules` compiles these declarations into condition detectors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal, Union

from pydantic import Field, model_validator

from controlroom.config.base import StrictModel
from controlroom.i18n import tr

if TYPE_CHECKING:
    from controlroom.config.schema import Config

PriorityName = Literal["critical", "high", "medium", "low"]
AQI_BANDS = ("good", "moderate", "poor", "bad", "very_bad", "hazardous")  # Decision 1459/QĐ-TCMT, Bảng 1


class _SensorRule(StrictModel):
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


class DeviceOfflineRule(StrictModel):
    """A device's status topic (or its Last Will) says offline."""

    kind: Literal["device_offline"]
    id: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    enabled: bool = True
    devices: list[str] = []  # empty: every sensor's status device
    on_delay_s: float = Field(default=30.0, ge=0)
    off_delay_s: float = Field(default=0.0, ge=0)
    priority: PriorityName = "medium"


class CameraOfflineRule(StrictModel):
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


class CitizenReportRule(StrictModel):
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


class AlertsConfig(StrictModel):
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
