"""What attached consoles see of the readings: the newest value per sensor and metric, a few
times a second, instead of every reading the devices send.

Why: a console attached to the service stores and judges nothing, it only shows. Parsing every
device message in the console's interpreter (fifteen thousand a second in a flood of backlog)
held its GUI thread for close to a second. The service already parsed them once; it folds them
into one message per tick, so a console's work follows the number of things that changed.

Two topics under the site prefix:

- ``room/live`` (QoS 1, not retained), every ``interval_s`` when anything changed: the keys that
  changed since the last tick, each with its newest reading.
- ``room/live/latest`` (QoS 1, retained, MQTT 5 expiry of a day), every ``snapshot_every_s`` when
  anything changed: the newest reading of every key, so a console that starts now fills its
  tiles at once instead of waiting for each sensor's next report.

Payload: ``{"at": <epoch ms>, "readings": [[sensor, metric, <epoch ms>, value], ...]}``.
A reading older than the newest already sent for its key is history (a device's backlog): it is
stored by the service, and left out here. Memory is bounded by the configured sensors' metrics
(the parser drops any other).
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime

from controlroom.domain import Reading

log = logging.getLogger(__name__)

LIVE_TOPIC = "room/live"
SNAPSHOT_TOPIC = "room/live/latest"
INTERVAL_S = 0.25
SNAPSHOT_EVERY_S = 10.0
SNAPSHOT_TTL_S = 24 * 3600


def _entry(reading: Reading) -> list:
    return [reading.sensor_id, reading.metric, round(reading.ts.timestamp() * 1000.0, 3), reading.value]


def encode(readings, at: datetime) -> bytes:
    body = {"at": round(at.timestamp() * 1000.0), "readings": [_entry(r) for r in readings]}
    return json.dumps(body, separators=(",", ":"), allow_nan=False).encode("utf-8")


class LiveDigest:
    """Folds the service's readings into one message per tick for the consoles."""

    def __init__(self, bus, publish, *, interval_s: float = INTERVAL_S,
                 snapshot_every_s: float = SNAPSHOT_EVERY_S) -> None:
        """`publish(topic_suffix, payload_bytes, qos=, retain=, expiry_s=)`: the feed's publish.
        Listens at once, so readings that arrive while the service starts are not missed."""
        self._publish = publish
        self.interval_s = interval_s
        self.snapshot_every_s = snapshot_every_s
        self._lock = threading.Lock()
        self._changed: dict[tuple[str, str], Reading] = {}  # since the last tick
        self._latest: dict[tuple[str, str], Reading] = {}  # newest sent per key (tick thread only)
        self._snapshot_due = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.folded = 0  # readings that reached the digest
        self.sent = 0  # entries sent on room/live
        self._unsubscribe = bus.subscribe(Reading, self._on_reading, batch=self._on_readings)

    def start(self, stored: list[Reading] = ()) -> None:
        """`stored`: the newest stored reading per key (storage.queries.latest_readings), so the
        first retained snapshot after a restart still holds the sensors that report rarely."""
        for reading in stored:
            self._latest[(reading.sensor_id, reading.metric)] = reading
        self._snapshot_due = bool(self._latest)
        self.tick(snapshot=True)
        self._thread = threading.Thread(target=self._run, name="live-digest", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)
            self._thread = None
        self.tick(snapshot=True)  # the last values go out before the service says it stopped

    # -- bus side (the feed's network thread) -------------------------------------------

    def _on_reading(self, reading: Reading) -> None:
        self._on_readings((reading,))

    def _on_readings(self, batch) -> None:
        with self._lock:
            changed = self._changed
            for reading in batch:
                key = (reading.sensor_id, reading.metric)
                held = changed.get(key)
                if held is None or reading.ts >= held.ts:
                    changed[key] = reading
            self.folded += len(batch)

    # -- tick ---------------------------------------------------------------------------

    def _run(self) -> None:
        next_snapshot = self.snapshot_every_s
        elapsed = 0.0
        while not self._stop.wait(self.interval_s):
            elapsed += self.interval_s
            snapshot = elapsed >= next_snapshot
            if snapshot:
                next_snapshot = elapsed + self.snapshot_every_s
            try:
                self.tick(snapshot=snapshot)
            except Exception:  # a publish failing must not end the digest; the next tick retries
                log.exception("live digest tick failed")

    def tick(self, *, snapshot: bool = False) -> None:
        """Send what changed; with `snapshot`, also the retained newest-of-everything if it moved."""
        with self._lock:
            changed, self._changed = self._changed, {}
        fresh = []
        for key, reading in changed.items():
            sent = self._latest.get(key)
            if sent is None or reading.ts > sent.ts or (reading.ts == sent.ts and reading.value != sent.value):
                self._latest[key] = reading
                fresh.append(reading)
        now = datetime.now(UTC)
        if fresh:
            self._publish(LIVE_TOPIC, encode(fresh, now), qos=1)
            self.sent += len(fresh)
            self._snapshot_due = True
        if snapshot and self._snapshot_due:
            self._snapshot_due = False
            self._publish(SNAPSHOT_TOPIC, encode(self._latest.values(), now), qos=1, retain=True,
                          expiry_s=SNAPSHOT_TTL_S)
