"""One source's messages as the room's readings, by its device profile (devices/builtin.py
merged with the source's ``[[sources]]`` table).

Expressions are JMESPath (no code runs, no environment is read, every expression ends); they
see ``{"topic": [levels], "headers": {name: value}, "payload": ...}``. ``map()`` never raises:
what it cannot use is a ``Rejected`` naming the source and the field, counted per reason in
``stats()``; the good values of the same message are kept. Fields the room has no metric for
(battery, link quality...) are counted as ignored, not as errors; ``nan``/``None`` values as
"no value". A station reporting calibration or a device error yields no reading at all, so it
can never raise a threshold alarm; its messages are counted under that status.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import jmespath
import paho.mqtt.client as mqtt
from jmespath.exceptions import JMESPathError

from controlroom.config import Config, DeviceSourceConfig
from controlroom.devices.builtin import BUILTIN_PROFILES
from controlroom.devices.coerce import NoValue, ValueProblem, number, same_unit, short, timestamp
from controlroom.domain import Reading, Rejected
from controlroom.feeds.feed_stats import MessageRate

MAX_PAYLOAD_BYTES = 256 * 1024
_SETTINGS = ("records", "device", "values", "metric", "value", "unit", "timestamp", "status")


@dataclass(frozen=True)
class SourceStats:
    """A snapshot of one source's health for the service's status and the console."""

    source_id: str
    name: str
    way: str  # "mqtt" | "http" | "folder" | "url"
    where: str  # the topic filter, the HTTP path, the folder or the polled url
    received: int = 0
    readings: int = 0
    ignored: int = 0  # fields the room has no metric for
    no_value: int = 0  # nan / None / unavailable
    skipped: int = 0  # the vendor's own housekeeping topics
    repeated: int = 0  # a polled endpoint's readings already taken at an earlier poll
    dropped: Counter = field(default_factory=Counter)  # reason -> messages or values dropped
    rate: float = 0.0  # messages per second, recent
    last_seen: datetime | None = None
    last_problem: tuple[str, str] | None = None  # (reason code, detail naming the field)

    def as_json(self) -> dict:
        return {
            "id": self.source_id, "name": self.name, "way": self.way, "where": self.where,
            "received": self.received, "readings": self.readings, "ignored": self.ignored,
            "no_value": self.no_value, "skipped": self.skipped, "repeated": self.repeated, "dropped": dict(self.dropped),
            "rate": round(self.rate, 2), "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            "last_problem": {"reason": self.last_problem[0], "detail": self.last_problem[1]} if self.last_problem else None,
        }


class SourceMapper:
    """Maps one source's messages; safe to call from several threads (the HTTP receiver's)."""

    def __init__(self, source: DeviceSourceConfig, config: Config) -> None:
        profile = BUILTIN_PROFILES.get(source.profile, {})
        self.source = source
        elsewhere = source.folder is not None or source.url is not None  # a profile's topic or path does not apply
        self.topic = source.topic or (None if source.http_path or elsewhere else profile.get("topic"))
        self.http_path = source.http_path or (None if source.topic or elsewhere else profile.get("http_path"))
        self.way = "mqtt" if self.topic else "http" if self.http_path else "url" if source.url else "folder"
        self.where = self.topic or self.http_path or source.url or str(source.folder)
        self._expr = {}
        for name in _SETTINGS:
            text = getattr(source, name) if getattr(source, name) is not None else profile.get(name)
            self._expr[name] = jmespath.compile(text) if text else None
        self._time_style = source.timestamp_format or profile.get("timestamp_format", "auto")
        self._text_payload = profile.get("metric") is not None or source.metric is not None
        self._zone = ZoneInfo(source.timezone)
        self._skip = list(profile.get("skip", ()))
        self._fields = dict(source.fields)
        self._profile_fields = dict(profile.get("fields", {}))
        self._scale = dict(source.scale)
        self._defaults = {**profile.get("defaults", {}), **source.defaults}
        self._status_codes = {**profile.get("status_codes", {}), **source.status_codes}
        self._devices = dict(source.devices)
        # sensor id -> {metric: (low, high, unit)}
        self._sensors = {
            s.id: {
                name: (-float("inf") if m.valid_min is None else m.valid_min,
                       float("inf") if m.valid_max is None else m.valid_max, m.unit)
                for name, m in s.metrics.items()
            }
            for s in config.sensors
        }
        self._lock = threading.Lock()
        self._counts: Counter = Counter()
        self._dropped: Counter = Counter()
        self._rate = MessageRate()
        self._last_seen: datetime | None = None
        self._last_problem: tuple[str, str] | None = None

    # -- entry points ------------------------------------------------------------------

    def map_message(self, topic: str, payload: bytes, received_at: datetime) -> list:
        """An MQTT message (the feed's network thread)."""
        for pattern in self._skip:
            if mqtt.topic_matches_sub(pattern, topic):
                self._count("skipped", received_at)
                return []
        try:
            data = self._decode(payload)
        except ValueProblem as problem:
            self._count("received", received_at)
            return [self._reject(problem.reason, topic, problem.detail)]
        return self.map(topic.split("/"), data, received_at, topic_text=topic)

    def map(self, topic: list[str], payload: object, received_at: datetime, *,
            headers: dict[str, str] | None = None, topic_text: str = "") -> list:
        """One decoded message (or one station-file line); never raises."""
        self._count("received", received_at)
        where = topic_text or "/".join(topic)
        try:
            return self._map({"topic": topic, "headers": headers or {}, "payload": payload}, where, received_at)
        except ValueProblem as problem:
            return [self._reject(problem.reason, where, problem.detail)]
        except (JMESPathError, TypeError, ValueError) as exc:  # e.g. merge() of a text
            return [self._reject("wrong_type", where, f"{type(exc).__name__}: {str(exc)[:80]}")]

    def reject_message(self, reason: str, where: str, detail: str) -> Rejected:
        """A message that never reached the mapping (a body that is not JSON), counted here."""
        self._count("received", datetime.now(timezone.utc))
        return self._reject(reason, where, detail)

    def note_repeated(self, count: int) -> None:
        """Readings a poller had taken before: not new readings."""
        with self._lock:
            self._counts["readings"] -= count
            self._counts["repeated"] += count

    def records(self, answer: object) -> list:
        """A polled answer's records (the `records` expression, else the answer itself)."""
        found = self._expr["records"].search(answer) if self._expr["records"] is not None else answer
        return found if isinstance(found, list) else [found]

    def stats(self) -> SourceStats:
        with self._lock:
            counts = Counter(self._counts)
            return SourceStats(
                self.source.id, self.source.name or self.source.id, self.way, self.where,
                received=counts["received"], readings=counts["readings"], ignored=counts["ignored"],
                no_value=counts["no_value"], skipped=counts["skipped"], repeated=counts["repeated"], dropped=Counter(self._dropped),
                rate=self._rate.now(), last_seen=self._last_seen, last_problem=self._last_problem,
            )

    # -- the mapping -------------------------------------------------------------------

    def _decode(self, payload: bytes) -> object:
        if len(payload) > MAX_PAYLOAD_BYTES:
            raise ValueProblem("too_large", f"{len(payload)} bytes")
        try:
            text = bytes(payload).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueProblem("not_utf8", f"byte {exc.start}") from None
        try:
            return json.loads(text)
        except ValueError:
            if self._text_payload:
                return text  # ESPHome: a bare "nan", "ON", "23.5 °C"
            raise ValueProblem("bad_json", short(text)) from None
        except RecursionError:
            raise ValueProblem("bad_json", "nested too deeply") from None

    def _search(self, name: str, doc: dict) -> object:
        expression = self._expr[name]
        return None if expression is None else expression.search(doc)

    def _map(self, doc: dict, where: str, received_at: datetime) -> list:
        key = self._search("device", doc)
        if key is None or isinstance(key, (dict, list)):
            raise ValueProblem("unknown_device", "device: no device key in the message")
        key = str(key)
        sensor_id = self._devices.get(key, key)
        metrics = self._sensors.get(sensor_id)
        if metrics is None:
            raise ValueProblem("unknown_device", "device: " + short(key))
        if self._expr["status"] is not None:
            code = self._search("status", doc)
            meaning = self._status_codes.get(str(code).strip() if code is not None else "")
            if meaning is None:
                raise ValueProblem("unknown_status", "status: " + short(code))
            if meaning != "ok":
                raise ValueProblem("station_" + meaning, f"status {code}: {sensor_id}")
        ts = timestamp(self._search("timestamp", doc), self._time_style, self._zone, received_at)
        unit = self._search("unit", doc)
        events: list = []
        for full, leaf, raw in self._fields_of(doc):
            event = self._reading(where, sensor_id, metrics, full, leaf, raw, unit, ts)
            if event is not None:
                events.append(event)
        return events

    def _fields_of(self, doc: dict) -> list[tuple[str, str, object]]:
        """(field name, name inside its group, raw value) of every value in the message."""
        if self._expr["values"] is None:
            name = self._search("metric", doc)
            if not isinstance(name, (str, int)) or isinstance(name, bool):
                raise ValueProblem("unknown_metric", "metric: " + short(name))
            return [(str(name), str(name), self._search("value", doc))]
        found = self._search("values", doc)
        items: dict[str, tuple[str, object]] = {}
        if isinstance(found, dict):
            for name, raw in found.items():
                if isinstance(raw, dict):  # Tasmota: {"SDS0X1": {"PM2.5": 8.2}}
                    for inner, inner_raw in raw.items():
                        items[f"{name}.{inner}"] = (inner, inner_raw)
                else:
                    items[name] = (name, raw)
        elif isinstance(found, list):  # Sensor.Community: [{"value_type": "SDS_P1", "value": "8.2"}]
            for entry in found:
                if not isinstance(entry, dict) or not isinstance(entry.get("value_type"), str):
                    raise ValueProblem("wrong_type", "values: entry " + short(entry))
                items[entry["value_type"]] = (entry["value_type"], entry.get("value"))
        else:
            raise ValueProblem("wrong_type", "values: no values in the message: " + short(found))
        for name, default in self._defaults.items():  # protobuf JSON leaves zeros out
            if items.get(name, (name, None))[1] is None:
                items[name] = (name, default)
        return [(full, leaf, raw) for full, (leaf, raw) in items.items()]

    def _reading(self, where: str, sensor_id: str, metrics: dict, full: str, leaf: str, raw: object,
                 unit: object, ts: datetime) -> Reading | Rejected | None:
        metric = self._fields.get(full) or self._fields.get(leaf)
        if metric is not None and metric not in metrics:
            return self._reject("unknown_metric", where, f"{full}: {sensor_id} has no metric {metric!r}")
        if metric is None:
            metric = self._profile_fields.get(full) or self._profile_fields.get(leaf)
            if metric not in metrics:
                metric = full if full in metrics else leaf if leaf in metrics else None
        if metric is None:
            self._count("ignored")
            return None
        try:
            value, written_unit = number(raw)
        except NoValue:
            self._count("no_value")
            return None
        except ValueProblem as problem:
            return self._reject(problem.reason, where, f"{full}: {problem.detail}")
        low, high, configured_unit = metrics[metric]
        written_unit = written_unit or (unit.strip() if isinstance(unit, str) else "")
        if written_unit and written_unit not in ("-", "--") and not same_unit(written_unit, configured_unit):
            return self._reject("unit_mismatch", where, f"{full}: {written_unit!r}, expected {configured_unit!r}")
        factor = self._scale.get(full, self._scale.get(leaf))
        if factor is not None:
            value *= factor
        if not low <= value <= high:
            return self._reject("out_of_range", where, f"{full}={value:g}")
        self._count("readings")
        return Reading(sensor_id, metric, ts, value)

    # -- counting ----------------------------------------------------------------------

    def _count(self, what: str, received_at: datetime | None = None) -> None:
        with self._lock:
            self._counts[what] += 1
            if received_at is not None:
                self._last_seen = received_at
                self._rate.count(1)

    def _reject(self, reason: str, where: str, detail: str) -> Rejected:
        text = f"{self.source.id}: {detail}"
        with self._lock:
            self._dropped[reason] += 1
            self._last_problem = (reason, detail)
        return Rejected(reason, where, text)
