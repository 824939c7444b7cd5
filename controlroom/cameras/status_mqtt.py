"""Camera health on MQTT: ``<site>/camera/<id>/status``, retained, so a second console and the
provincial centre see the same health as the console that decodes the stream.

Payload (UTF-8 JSON): ``{"state": "live"|"stalled"|"offline"|"connecting", "fps": 14.8,
"frame_age_s": 0.07, "width": 640, "height": 360, "reconnects": 0, "codec": "h264" or null,
"decode_lag_s": 0.02 or null, "ts": <epoch ms>, "console": "<client id>"}`` (codec and decode lag
from a packet reader, the pyav backend). `CameraStatusMqttPublisher` publishes from its own thread
(``camera-status-mqtt``) when a camera's state, resolution, codec or reconnect count changes, and
otherwise every `refresh_s` so fps and frame age stay current without flooding the broker.
`CameraStatusSubscriber` reads them back (any console's) into `CameraStatusReport` events on
the bus and a latest-value table the UI pulls.

A status cannot outlive the console that keeps it fresh: each is published with an MQTT 5
expiry of EXPIRY_REFRESHES refresh periods (the broker forgets it when the console dies), a
clean stop clears the retained copies, and a reader treats a report older than that as no
report at all (a 3.1.1 broker keeps retained messages forever).
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Iterable

from controlroom.cameras.health import StreamHealth, StreamState

log = logging.getLogger(__name__)

TOPIC_PATTERN = "camera/+/status"
REFRESH_S = 10.0
EXPIRY_REFRESHES = 3
STATES = {s.value for s in StreamState}


@dataclass(frozen=True, slots=True)
class CameraStatusReport:
    """One camera's health as published on MQTT (by this or another console)."""

    camera_id: str
    state: str
    fps: float
    frame_age_s: float | None
    width: int | None
    height: int | None
    reconnects: int
    ts: datetime  # UTC
    console: str


def status_payload(health: StreamHealth, console: str, now: datetime | None = None) -> dict:
    now = now or datetime.now(timezone.utc)
    return {"state": health.state.value, "fps": round(health.fps, 1),
            "frame_age_s": None if health.frame_age_s is None else round(health.frame_age_s, 2),
            "width": health.width, "height": health.height, "reconnects": health.reconnects,
            "codec": health.codec,
            "decode_lag_s": None if health.decode_lag_s is None else round(health.decode_lag_s, 2),
            "ts": int(now.timestamp() * 1000), "console": console}


class StatusParseError(ValueError):
    """A status message that does not follow the contract (the reason names the field)."""


def _number(value, field: str, allow_none: bool = False) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise StatusParseError(f"{field}: not a non-negative number")
    return float(value)


def parse_status(topic: str, payload: bytes, prefix: str) -> CameraStatusReport:
    """`<prefix>/camera/<id>/status` -> report; raises StatusParseError with the reason."""
    parts = topic.split("/")
    if len(parts) != 4 or parts[0] != prefix or parts[1] != "camera" or parts[3] != "status" or not parts[2]:
        raise StatusParseError("topic")
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StatusParseError("json") from exc
    if not isinstance(data, dict):
        raise StatusParseError("not an object")
    state = data.get("state")
    if state not in STATES:
        raise StatusParseError("state")
    size = []
    for field in ("width", "height"):
        value = _number(data.get(field), field, allow_none=True)
        size.append(None if value is None else int(value))
    ts_ms = data.get("ts")
    try:
        ts = (datetime.fromtimestamp(_number(ts_ms, "ts") / 1000, timezone.utc) if ts_ms is not None
              else datetime.now(timezone.utc))
    except (OverflowError, OSError, ValueError) as exc:
        raise StatusParseError("ts") from exc
    console = data.get("console", "")
    return CameraStatusReport(parts[2], state, _number(data.get("fps", 0.0), "fps"),
                              _number(data.get("frame_age_s"), "frame_age_s", allow_none=True), size[0], size[1],
                              int(_number(data.get("reconnects", 0), "reconnects")), ts,
                              console if isinstance(console, str) else "")


class CameraStatusMqttPublisher:
    """Publishes the health of the cameras this console decodes. `source()` yields
    (camera_id, StreamHealth) — e.g. the sub-stream readers of the wall's ReaderPool."""

    def __init__(self, feed, source: Callable[[], Iterable[tuple[str, StreamHealth]]], console: str,
                 interval_s: float = 1.0, refresh_s: float = REFRESH_S) -> None:
        self._feed = feed
        self._source = source
        self._console = console
        self._interval_s = interval_s
        self._refresh_s = refresh_s
        self._last: dict[str, tuple[tuple, float]] = {}
        self.published = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="camera-status-mqtt", daemon=True)

    def start(self) -> "CameraStatusMqttPublisher":
        self._thread.start()
        return self

    def publish_once(self) -> int:
        now = time.monotonic()
        sent = 0
        for camera_id, health in list(self._source()):
            key = (health.state, health.width, health.height, health.reconnects, health.codec)
            previous = self._last.get(camera_id)
            if previous is not None and previous[0] == key and now - previous[1] < self._refresh_s:
                continue
            self._feed.publish(f"camera/{camera_id}/status", status_payload(health, self._console), qos=1, retain=True,
                               expiry_s=EXPIRY_REFRESHES * self._refresh_s)
            self._last[camera_id] = (key, now)
            sent += 1
        self.published += sent
        return sent

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            self.publish_once()

    def stop(self, timeout_s: float = 2.0) -> None:
        """Stop, and clear the retained statuses this console kept (another console that
        decodes the same camera publishes its own within a refresh)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)
        for camera_id in list(self._last):
            self._feed.publish(f"camera/{camera_id}/status", b"", qos=1, retain=True)
        self._last.clear()


class CameraStatusSubscriber:
    """Subscribes `<site>/camera/+/status` through the feed; keeps the latest report per
    camera and publishes each as a CameraStatusReport on the bus (network thread: quick)."""

    def __init__(self, feed, bus=None, max_age_s: float = EXPIRY_REFRESHES * REFRESH_S) -> None:
        self._prefix = feed.prefix
        self._max_age = max_age_s
        self._bus = bus
        self._lock = threading.Lock()
        self._latest: dict[str, CameraStatusReport] = {}
        self.rejects: Counter = Counter()
        feed.subscribe_extra(TOPIC_PATTERN, self._on_message)

    def _on_message(self, topic: str, payload: bytes) -> None:
        if not payload:  # a cleared retained message: the camera was removed
            with self._lock:
                self._latest.pop(topic.split("/")[2] if topic.count("/") == 3 else "", None)
            return
        try:
            report = parse_status(topic, payload, self._prefix)
        except StatusParseError as exc:
            self.rejects[str(exc)] += 1
            if self.rejects[str(exc)] == 1:
                log.warning("camera status on %s rejected: %s", topic, exc)
            return
        with self._lock:
            self._latest[report.camera_id] = report
        if self._bus is not None:
            self._bus.publish(report)

    def latest(self, now: datetime | None = None) -> dict[str, CameraStatusReport]:
        """The current report per camera; one older than `max_age_s` is no report (unknown)."""
        now = now or datetime.now(timezone.utc)
        with self._lock:
            return {cid: r for cid, r in self._latest.items() if (now - r.ts).total_seconds() <= self._max_age}
