"""The commune's configuration: the schema (``schema``, with ``alerts`` and ``flood``
sections), reading a file into it (``loading``) and what its metrics are called
(``metric_names``). Import from here: ``from controlroom.config import Config, load_config``."""

from controlroom.config.alerts import AlertsConfig
from controlroom.config.flood import FloodDutyConfig, RiskBoundary
from controlroom.config.metric_names import label_in_ui_language, metric_label
from controlroom.config.loading import ConfigError, demo_config_path, load_config, parse_config
from controlroom.config.sources import DevicesConfig, DeviceSourceConfig
from controlroom.config.schema import (
    AlarmLevelsConfig,
    BroadcastConfig,
    CameraConfig,
    CameraGroupConfig,
    Config,
    DatabaseConfig,
    MapConfig,
    MetricConfig,
    MqttConfig,
    OnvifCameraConfig,
    OperationsConfig,
    ScheduledBroadcastConfig,
    SensorConfig,
    SiteConfig,
    SpeakerConfig,
    ThresholdConfig,
    VillageConfig,
    ZoneConfig,
)

__all__ = [
    "AlarmLevelsConfig", "AlertsConfig", "BroadcastConfig", "CameraConfig", "CameraGroupConfig", "Config",
    "ConfigError", "DatabaseConfig", "DevicesConfig", "DeviceSourceConfig", "FloodDutyConfig", "MapConfig", "MetricConfig", "MqttConfig",
    "OnvifCameraConfig", "OperationsConfig", "RiskBoundary", "ScheduledBroadcastConfig", "SensorConfig",
    "SiteConfig", "SpeakerConfig", "ThresholdConfig", "VillageConfig", "ZoneConfig", "demo_config_path",
    "label_in_ui_language", "load_config", "metric_label", "parse_config",
]
