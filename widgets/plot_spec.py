"""What one sensor plot shows: the series address, its unit, limits and alarm levels."""

from __future__ import annotations

from dataclasses import dataclass

from controlroom.config import AlarmLevelsConfig, SensorConfig, ThresholdConfig, metric_label
from controlroom.i18n import tr


@dataclass(frozen=True)
class PlotSpec:
    """What one plot shows: the series address plus its unit, limits and alarm levels."""

    sensor_id: str
    metric: str
    sensor_name: str
    label: str
    unit: str
    live_limit_s: float = 180.0  # SensorConfig.live_limit_s
    thresholds: ThresholdConfig | None = None
    alarm_levels: AlarmLevelsConfig | None = None
    kind: str = ""  # the sensor kind; "rain" plots hourly totals, each flat across its hour, filled

    @property
    def address(self) -> str:
        return f"sensor/{self.sensor_id}/{self.metric}"

    @classmethod
    def from_config(cls, sensor: SensorConfig, metric: str) -> "PlotSpec":
        m = sensor.metrics[metric]
        label = metric_label(metric, m)
        unit = m.unit
        if sensor.kind == "rain":
            label, unit = tr("Hourly rainfall"), tr("mm/h")
        return cls(sensor.id, metric, sensor.name, label, unit, sensor.live_limit_s,
                   m.thresholds, sensor.alarm_levels if sensor.kind == "water_level" else None, sensor.kind)
