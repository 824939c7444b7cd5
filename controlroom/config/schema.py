"""The commune's configuration, declared once and validated on load (pydantic v2).

A site is one TOML file: the commune, its villages, cameras, sensors, speakers, zones, the
MQTT link and the database. Nothing about a particular commune lives in code. Reading a file
and turning validation errors into messages an operator can act on is ``config.loading``.
"""

from __future__ import annotations


import os
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from controlroom.config.base import StrictModel
from controlroom.config.places import far_from_centre
from controlroom.config.alerts import AlertsConfig
from controlroom.config.flood import FloodDutyConfig
from controlroom.config.sources import DevicesConfig, DeviceSourceConfig
from controlroom.config.metric_names import usual_name_in_the_file
from controlroom.i18n import tr

Identifier = str  # ids are short ASCII slugs: "cam01", "wl_phuoc", "spk_lvh_1"


STALE_AFTER_INTERVALS = 3.0  # a sensor silent for three reporting intervals is stale

class SiteConfig(StrictModel):
    """The commune (xã) this room serves, named as the current administrative unit."""

    id: Identifier = Field(pattern=r"^[a-z0-9_-]+$", description="MQTT topic prefix and row site id")
    name: str
    unit_name: str = ""  # current administrative unit, e.g. "xã Quảng Điền"
    province: str = ""
    former_units: list[str] = []
    timezone: str = "Asia/Ho_Chi_Minh"
    map_center: tuple[float, float]
    map_zoom: int = 14

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(tr("unknown time zone {name}", name=repr(value))) from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class VillageConfig(StrictModel):
    """A village (thôn) with its position and optional outline [(lat, lon), ...]."""

    id: Identifier
    name: str
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    outline: list[tuple[float, float]] = []
    low_lying: bool = False  # flood-prone (vùng trũng): pre-selected in flood mode


CameraGroupRole = Literal["flood_points", "entrances"]


class CameraGroupConfig(StrictModel):
    """A group of cameras. `role` says what the room does with it, so no code depends on a
    commune's ids: "flood_points" (flood-prone places: shown in flood mode, their alerts are
    flood alerts, first for a village's alarm), "entrances" (gates, crossroads: first on the
    default wall)."""

    id: Identifier
    name: str
    role: CameraGroupRole | None = None


class OnvifCameraConfig(StrictModel):
    """How to reach a camera's ONVIF services (PTZ, clock check). The password is read from
    the environment variable `password_env` so it never sits in the config file."""

    host: str
    port: int = Field(default=80, ge=1, le=65535)
    user: str = ""
    password_env: str = ""
    profile: str = ""  # PTZ/media profile token; empty: the camera's first profile
    home_after_s: float = Field(default=120.0, ge=0)  # idle time before returning home; 0: never
    max_clock_drift_s: float = Field(default=5.0, gt=0)
    alarm_presets: dict[str, str] = {}  # alert source (e.g. "sensor/wl_bo") -> preset name


class CameraConfig(StrictModel):
    """An IP camera with a main (full) and a sub (tile-size) stream."""

    id: Identifier
    name: str
    village: Identifier
    group: Identifier
    main_url: str
    sub_url: str
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    # pyav: read as packets (live judged by arrival, the camera's own bits for replay and evidence,
    # no decoding while no tile shows it); opencv: decoded frames only; vlc: where VLC serves
    backend: Literal["opencv", "vlc", "pyav"] = "pyav"
    ptz: bool = False
    onvif: OnvifCameraConfig | None = None


class ThresholdConfig(StrictModel):
    """Limits of one metric. Units are the metric's own."""

    low_low: float | None = None
    low: float | None = None
    high: float | None = None
    high_high: float | None = None
    deadband: float = 0.0
    source: str = ""  # where the numbers come from (decision, standard and column)


class MetricConfig(StrictModel):
    unit: str
    label: str = ""
    valid_min: float | None = None  # readings outside [valid_min, valid_max] are rejected
    valid_max: float | None = None
    thresholds: ThresholdConfig | None = None


class AlarmLevelsConfig(StrictModel):
    """Flood alarm levels (mức báo động) I, II, III of a river station, in metres.

    `official` only for levels the state set for this very station (QĐ 05/2020/QĐ-TTg and its
    successors, for a hydrological station); a commune's own gauge with levels copied from a
    station or set locally is not official, and the screens say so. `source` says where the
    numbers come from, in words."""

    level_1: float
    level_2: float
    level_3: float
    source: str
    official: bool = False

    @model_validator(mode="after")
    def _increasing(self) -> "AlarmLevelsConfig":
        if not self.level_1 < self.level_2 < self.level_3:
            raise ValueError(tr("alarm levels must increase: level_1 < level_2 < level_3"))
        return self


SensorKind = Literal["air_quality", "water_level", "water_quality", "rain"]


def _has_local_thresholds(sensor: "SensorConfig") -> bool:
    """A gauge without official alarm levels (a lagoon's, a tide gauge's) alarms on the limits
    the commune set on its level metric instead."""
    t = next(iter(sensor.metrics.values())).thresholds
    return t is not None and (t.high is not None or t.high_high is not None)


class SensorConfig(StrictModel):
    """A sensor station; readings arrive on <site>/sensor/<id>/reading."""

    id: Identifier
    name: str
    kind: SensorKind
    village: Identifier | None = None
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    interval_s: float = Field(default=60.0, gt=0, description="expected reporting interval")
    stale_after_s: float | None = Field(
        default=None, gt=0,
        description="a reading older than this is stale: on screen it says so, and one arriving this late is "
                    "history (stored and plotted, never a live alarm nor the live flood risk); "
                    "default STALE_AFTER_INTERVALS x interval_s")
    device_id: Identifier | None = None  # status topic id; defaults to the sensor id
    metrics: dict[Identifier, MetricConfig] = Field(min_length=1)
    alarm_levels: AlarmLevelsConfig | None = None

    @field_validator("metrics")
    @classmethod
    def _labelled(cls, metrics: dict[str, MetricConfig]) -> dict[str, MetricConfig]:
        """A metric without a label takes its usual name in the file's language, else keeps its id."""
        return {name: m if m.label or usual_name_in_the_file(name) is None
                else m.model_copy(update={"label": usual_name_in_the_file(name)})
                for name, m in metrics.items()}

    @property
    def status_device_id(self) -> str:
        return self.device_id or self.id

    @property
    def live_limit_s(self) -> float:
        """How old a reading may be and still count as live (see stale_after_s)."""
        return self.stale_after_s or STALE_AFTER_INTERVALS * self.interval_s


class SpeakerConfig(StrictModel):
    """A loudspeaker cluster receiver (cụm loa truyền thanh thông minh)."""

    id: Identifier
    name: str
    village: Identifier
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class ZoneConfig(StrictModel):
    """A saved set of villages to broadcast to (e.g. low-lying villages)."""

    id: Identifier
    name: str
    villages: list[Identifier] = Field(min_length=1)


class MqttConfig(StrictModel):
    host: str = "127.0.0.1"
    port: int = Field(default=1883, ge=1, le=65535)
    tls: bool = False
    ca_file: Path | None = None
    username: str | None = None
    password_env: str | None = None  # name of the environment variable holding the password
    password_keyring: str | None = None  # keyring service name (user = username)
    topic_prefix: str | None = None  # defaults to site.id
    client_id: str | None = None  # defaults to "controlroom-<site>-<host>"
    keepalive_s: int = Field(default=30, ge=5)
    session_expiry_s: int = Field(default=7 * 24 * 3600, gt=0)

    def password(self) -> str | None:
        """The broker password, from the environment or the OS keyring; never from the file."""
        if self.password_env:
            return os.environ.get(self.password_env)
        if self.password_keyring and self.username:
            try:
                import keyring  # optional extra
            except ImportError:
                return None
            return keyring.get_password(self.password_keyring, self.username)
        return None


class DatabaseConfig(StrictModel):
    url: str | None = None  # None: SQLite in the user data dir
    raw_retention_days: int = Field(default=35, gt=0)
    minute_rollup_retention_days: int = Field(default=400, gt=0)


class ScheduledBroadcastConfig(StrictModel):
    """A daily programme entry (chương trình phát thanh hằng ngày), e.g. the morning bulletin."""

    id: Identifier
    title: str
    time: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="local HH:MM")
    weekdays: list[int] = Field(default=[0, 1, 2, 3, 4, 5, 6], description="0 = Monday")
    zone: Identifier
    text: str = ""  # spoken with text-to-speech when no file is given
    file: Path | None = None
    priority: Literal["routine", "announcement"] = "routine"
    volume: int = Field(default=70, ge=0, le=100)


class BroadcastConfig(StrictModel):
    """Loudspeaker broadcasting: where speakers fetch audio, and how long acks may take."""

    http_bind: str = "127.0.0.1"  # the interface on the speakers' network
    http_port: int = Field(default=0, ge=0, le=65535)  # 0: any free port
    public_host: str | None = None  # host name speakers use; defaults to http_bind
    tts_voice: str = "vi-vn-x-central"
    sample_rate: int = Field(default=22050, ge=8000, le=48000)
    start_timeout_s: float = Field(default=15.0, gt=0)
    finish_margin_s: float = Field(default=30.0, gt=0)
    default_volume: int = Field(default=70, ge=0, le=100)
    schedule: list[ScheduledBroadcastConfig] = []


MapLayerKind = Literal["water", "road", "dyke", "flood_area", "other"]


class MapLayerConfig(StrictModel):
    """One of the commune's own vector layers (rivers and lagoons, main roads, dykes, flood-prone areas),
    a GeoJSON file in WGS84 longitude/latitude, drawn with or without a basemap. `file` is
    relative to the config file's folder. A file that cannot be read is left off the map
    with a message; the rest of the map and the room carry on."""

    id: Identifier = Field(pattern=r"^[a-z0-9_-]+$")
    name: str = Field(min_length=1, description="shown in the map's layer list")
    kind: MapLayerKind = "other"
    file: str = Field(min_length=1)
    colour: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$", description="instead of the kind's colour")

    @field_validator("file")
    @classmethod
    def _next_to_the_config(cls, value: str, info) -> str:
        base = (info.context or {}).get("base_dir")
        path = Path(value).expanduser()
        return str(path if path.is_absolute() or base is None else Path(base) / path)


class MapConfig(StrictModel):
    """The basemap: a tile server URL template ({z}/{x}/{y}) and the credit it requires.

    Tiles are cached in the data dir as they are viewed, so the map still shows them when the
    link drops. OSM's standard tiles allow that caching but forbid bulk pre-fetching: the
    `controlroom map prefetch` command refuses tile.openstreetmap.org. The environment variable
    CONTROLROOM_TILE_URL overrides `tile_url` (tests point it at a closed loopback port)."""

    tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    tile_attribution: str = "© OpenStreetMap contributors"
    min_zoom: int = Field(default=10, ge=0, le=22)
    max_zoom: int = Field(default=19, ge=0, le=22)
    fetch_timeout_s: float = Field(default=5.0, gt=0)
    layers: list[MapLayerConfig] = []  # [[map.layers]]: the commune's GeoJSON layers, drawn in this order

    @model_validator(mode="after")
    def _layer_ids_unique(self) -> "MapConfig":
        ids = [layer.id for layer in self.layers]
        doubles = sorted({i for i in ids if ids.count(i) > 1})
        if doubles:
            raise ValueError(tr("map layer ids must be unique: {ids}", ids=", ".join(doubles)))
        return self


class OperationsConfig(StrictModel):
    """Console operations: idle lock of the signed-in session, presentation viewing distance."""

    idle_lock_s: float = Field(default=900.0, ge=0, description="lock after this long without input; 0 = never")
    presentation_distance_m: float = Field(default=5.0, gt=0, description="how far viewers sit from the big displays")
    presentation_dwell_s: float = Field(default=20.0, ge=3, description="time each view stays in the presentation cycle")


class Config(StrictModel):
    site: SiteConfig
    mqtt: MqttConfig = MqttConfig()
    database: DatabaseConfig = DatabaseConfig()
    villages: list[VillageConfig] = Field(min_length=1)
    camera_groups: list[CameraGroupConfig] = []
    cameras: list[CameraConfig] = []
    sensors: list[SensorConfig] = []
    speakers: list[SpeakerConfig] = []
    zones: list[ZoneConfig] = []
    broadcast: BroadcastConfig = BroadcastConfig()
    map: MapConfig = MapConfig()
    alerts: AlertsConfig = AlertsConfig()
    flood: FloodDutyConfig = FloodDutyConfig()
    operations: OperationsConfig = OperationsConfig()
    devices: DevicesConfig = DevicesConfig()  # where pushed data is received (HTTP, FTP)
    sources: list[DeviceSourceConfig] = []  # vendors' devices and station files (controlroom/devices)

    @property
    def topic_prefix(self) -> str:
        return self.mqtt.topic_prefix or self.site.id

    def village(self, village_id: str) -> VillageConfig:
        return next(v for v in self.villages if v.id == village_id)

    def sensor(self, sensor_id: str) -> SensorConfig | None:
        return self._sensor_index().get(sensor_id)

    def _sensor_index(self) -> dict[str, SensorConfig]:
        index = self.__dict__.get("_sensor_index_cache")
        if index is None:
            index = {s.id: s for s in self.sensors}
            self.__dict__["_sensor_index_cache"] = index
        return index

    def device_names(self) -> dict[str, str]:
        """Device id -> the name an operator knows it by: cameras, loudspeakers and sensors (by
        the id their status is reported under, and their own)."""
        names = {s.id: s.name for s in self.speakers}
        for sensor in self.sensors:
            names[sensor.id] = names[sensor.status_device_id] = sensor.name
        names.update({c.id: c.name for c in self.cameras})
        return names

    def camera_groups_with(self, role: str) -> set[str]:
        """The ids of the camera groups that play `role` (see CameraGroupConfig)."""
        return {g.id for g in self.camera_groups if g.role == role}

    def is_whole_commune(self, zone: "ZoneConfig") -> bool:
        """A zone holding every village (e.g. "Toàn xã"), whatever its id."""
        return {v.id for v in self.villages} <= set(zone.villages)

    @model_validator(mode="after")
    def _references(self) -> "Config":
        problems: list[str] = []
        for section in ("villages", "camera_groups", "cameras", "sensors", "speakers", "zones"):
            seen: set[str] = set()
            for i, item in enumerate(getattr(self, section)):
                if item.id in seen:
                    problems.append(f"{section}[{i}].id: " + tr("duplicate id {id}", id=repr(item.id)))
                seen.add(item.id)
        villages = {v.id for v in self.villages}
        groups = {g.id for g in self.camera_groups}
        for i, cam in enumerate(self.cameras):
            if cam.village not in villages:
                problems.append(f"cameras[{i}].village: " + tr("unknown village {id}", id=repr(cam.village)))
            if cam.group not in groups:
                problems.append(f"cameras[{i}].group: " + tr("unknown camera group {id}", id=repr(cam.group)))
        for i, sensor in enumerate(self.sensors):
            if sensor.village is not None and sensor.village not in villages:
                problems.append(f"sensors[{i}].village: " + tr("unknown village {id}", id=repr(sensor.village)))
            if sensor.kind == "water_level" and sensor.alarm_levels is None and not _has_local_thresholds(sensor):
                problems.append(f"sensors[{i}].alarm_levels: " + tr(
                    "a water_level station needs alarm levels I-III (a river station) or thresholds on its level "
                    "(a lagoon or tidal gauge with the commune's own limits)"))
        for i, speaker in enumerate(self.speakers):
            if speaker.village not in villages:
                problems.append(f"speakers[{i}].village: " + tr("unknown village {id}", id=repr(speaker.village)))
        zone_ids = {z.id for z in self.zones}
        if self.flood.bulletin_zone is not None and self.flood.bulletin_zone not in zone_ids:
            problems.append("flood.bulletin_zone: " + tr("unknown zone {id}", id=repr(self.flood.bulletin_zone)))
        for i, entry in enumerate(self.broadcast.schedule):
            if entry.zone not in zone_ids:
                problems.append(f"broadcast.schedule[{i}].zone: " + tr("unknown zone {id}", id=repr(entry.zone)))
            if not entry.text and entry.file is None:
                problems.append(f"broadcast.schedule[{i}]: " + tr("give a text to speak or an audio file"))
        for i, zone in enumerate(self.zones):
            for j, village in enumerate(zone.villages):
                if village not in villages:
                    problems.append(f"zones[{i}].villages[{j}]: " + tr("unknown village {id}", id=repr(village)))
        problems.extend(self.alerts.reference_problems(self))
        problems.extend(far_from_centre(self))
        sensor_metrics = {s.id: set(s.metrics) for s in self.sensors}
        source_ids: set[str] = set()
        for i, source in enumerate(self.sources):
            if source.id in source_ids:
                problems.append(f"sources[{i}].id: " + tr("duplicate id {id}", id=repr(source.id)))
            source_ids.add(source.id)
            problems.extend(f"sources[{i}].{problem}" for problem in source.problems(sensor_metrics))
        if problems:
            raise ValueError("\n".join(problems))
        return self
