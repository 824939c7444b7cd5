"""Vendors' devices and stations that do not speak the room's MQTT contract: one ``[[sources]]``
table each, mapped into readings by a device profile (``controlroom/devices``).

A source names a built-in profile (ChirpStack v4, The Things Stack v3, Tasmota, Zigbee2MQTT,
ESPHome, Sensor.Community, TT 10/2021 station files) or gives its own JMESPath expressions, and
says where its messages come from: an MQTT topic filter, an HTTP path on the service's receiver,
or a drop folder. Expressions are compiled here, so a typo is a config error naming the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jmespath
from jmespath.exceptions import JMESPathError
from pydantic import Field, field_validator, model_validator

from controlroom.config.base import StrictModel
from controlroom.i18n import tr

EXPRESSION_FIELDS = ("records", "device", "values", "metric", "value", "unit", "timestamp", "status")


class DevicesConfig(StrictModel):
    """Where the service listens for devices that push: HTTP (JSON) and FTP (station files).
    Bind them to the sensors' network; the defaults listen on this PC only."""

    http_bind: str = "127.0.0.1"
    http_port: int = Field(default=8470, ge=0, le=65535)
    ftp_bind: str = "127.0.0.1"
    ftp_port: int = Field(default=2121, ge=0, le=65535)
    ftp_passive_ports: tuple[int, int] | None = None  # a range to open in the firewall


class DeviceSourceConfig(StrictModel):
    """One vendor's devices (or one station's files) feeding the room."""

    id: str = Field(pattern=r"^[a-z0-9_-]+$")
    name: str = ""
    profile: str = "custom"  # a built-in profile (devices/builtin.py) or "custom"
    topic: str | None = None  # MQTT topic filter; default: the profile's
    http_path: str | None = None  # path on the service's HTTP receiver, e.g. "/push/sensor-community"
    folder: Path | None = None  # a drop folder of station files
    url: str | None = Field(default=None, pattern=r"^https?://")  # a provincial endpoint polled every poll_s
    format: Literal["json", "csv"] = "json"  # what the url answers
    records: str | None = None  # for a url: the expression picking the list of records (default: the whole answer)
    timeout_s: float = Field(default=10.0, gt=0, le=120)  # a url's answer must arrive within this
    # device key (what `device` yields) -> sensor id; empty: the key is the sensor id
    devices: dict[str, str] = {}
    # payload field -> metric id; a field not listed is kept only if a metric has its name
    fields: dict[str, str] = {}
    scale: dict[str, float] = {}  # payload field -> factor (cm -> m: 0.01)
    defaults: dict[str, float] = {}  # payload field -> value when the device omits it (a zero)
    # the profile's JMESPath expressions, overridden one by one; they see {topic, headers, payload}
    device: str | None = None
    values: str | None = None
    metric: str | None = None
    value: str | None = None
    unit: str | None = None  # the unit sent beside the value, checked against the metric's
    timestamp: str | None = None
    timestamp_format: str | None = None  # auto | iso | epoch_s | epoch_ms | a strptime pattern
    status: str | None = None  # a station's status code (TT 10/2021: 00 measuring, 01 calibrating, 02 error)
    timezone: str = "Asia/Ho_Chi_Minh"  # for timestamps without an offset
    # status code -> "ok" | "calibrating" | "error"; merged over the profile's
    status_codes: dict[str, str] = {}
    poll_s: float = Field(default=10.0, gt=0)  # how often a drop folder is looked at, or a url fetched
    ftp_user: str | None = None  # a folder source: the station's FTP account ([devices] ftp_port)
    ftp_password_env: str | None = None  # the environment variable holding its password

    @field_validator(*EXPRESSION_FIELDS)
    @classmethod
    def _compiles(cls, expression: str | None) -> str | None:
        if expression is not None:
            try:
                jmespath.compile(expression)
            except JMESPathError as exc:
                raise ValueError(tr("not a valid JMESPath expression: {reason}", reason=str(exc).splitlines()[0]))
        return expression

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(tr("unknown time zone {name}", name=repr(name))) from None
        return name

    @field_validator("status_codes")
    @classmethod
    def _status_words(cls, codes: dict[str, str]) -> dict[str, str]:
        for code, meaning in codes.items():
            if meaning not in ("ok", "calibrating", "error"):
                raise ValueError(tr("status {code}: say ok, calibrating or error", code=repr(code)))
        return codes

    @model_validator(mode="after")
    def _one_way_in(self) -> "DeviceSourceConfig":
        from controlroom.devices.builtin import BUILTIN_PROFILES

        profile = BUILTIN_PROFILES.get(self.profile)
        if profile is None and self.profile != "custom":
            raise ValueError(tr("unknown device profile {name}; the built-in ones are: {names}",
                                name=repr(self.profile), names=", ".join(sorted(BUILTIN_PROFILES))))
        ways = [w for w in (self.topic, self.http_path, self.folder, self.url) if w is not None]
        if not ways and not (profile and (profile.get("topic") or profile.get("http_path"))):
            raise ValueError(tr("say where the data comes from: topic, http_path, folder or url"))
        if len(ways) > 1:
            raise ValueError(tr("give only one of topic, http_path, folder and url"))
        if self.ftp_user is not None and (self.folder is None or not self.ftp_password_env):
            raise ValueError(tr("an FTP account needs a folder and ftp_password_env"))
        return self

    def problems(self, sensors: dict[str, set[str]]) -> list[str]:
        """References to sensors and metrics the config does not have."""
        found: list[str] = []
        for key, sensor_id in self.devices.items():
            if sensor_id not in sensors:
                found.append(f"devices.{key}: " + tr("unknown sensor {id}", id=repr(sensor_id)))
        known_metrics = set().union(*sensors.values()) if sensors else set()
        for field, metric in self.fields.items():
            if metric not in known_metrics:
                found.append(f"fields.{field}: " + tr("no sensor has the metric {id}", id=repr(metric)))
        return found
