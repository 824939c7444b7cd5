"""The latest known value of everything: the core's one holder of "now", for views that bind
to an address.

Addresses follow the PyDM habit: ``sensor/<id>/<metric>``, ``device/<id>``, ``speaker/<id>``.
Written from the bus (feed thread), read from any thread. It holds one entry per address, so
it never grows with the number of readings (devices and speakers are capped at
``MAX_IDS`` each: ids past the cap are not kept, and counted in ``ignored``).

A consumer that redraws what changed (the GUI bridge) asks for a ``ChangeSet``: the addresses
that changed since it last took them, and for the addresses it watches as series, the points
that arrived meanwhile (at most ``SERIES_POINTS`` per address between takes — a thousand a
second at the bridge's 10 ticks a second, far above any sensor's rate; past that, in a backlog
flush, the oldest are dropped and the address is flagged so a view reloads that stretch from
storage instead of drawing point by point).
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime

from controlroom.bus import EventBus
from controlroom.domain import DeviceStatus, Reading, SpeakerStatus

MAX_IDS = 10_000
SERIES_POINTS = 100


class ChangeSet:
    """What changed since the last `take()`, for one consumer. Filled under LiveState's lock."""

    def __init__(self, live: "LiveState") -> None:
        self._live = live
        self._dirty: set[str] = set()
        self._series_watch: frozenset[str] = frozenset()
        self._series: dict[str, deque] = {}
        self._overflowed: set[str] = set()

    def watch_series(self, addresses) -> None:
        """Keep the points of these addresses (replaces the previous set)."""
        with self._live._lock:
            self._series_watch = frozenset(addresses)
            self._series = {a: q for a, q in self._series.items() if a in self._series_watch}

    def _mark(self, addresses: list[str], batch) -> None:
        self._dirty.update(addresses)
        watch = self._series_watch
        if not watch:
            return
        for address, reading in zip(addresses, batch):
            if address in watch:
                points = self._series.get(address)
                if points is None:
                    points = self._series[address] = deque(maxlen=SERIES_POINTS)
                elif len(points) == SERIES_POINTS:
                    self._overflowed.add(address)
                points.append(reading)

    def take(self) -> tuple[dict[str, Reading], dict[str, list[Reading]], set[str]]:
        """(latest reading per changed address, new series points per watched address,
        watched addresses that lost points to the cap)."""
        live = self._live
        with live._lock:
            dirty, self._dirty = self._dirty, set()
            series, self._series = self._series, {}
            overflowed, self._overflowed = self._overflowed, set()
            latest = {a: live._readings[a] for a in dirty if a in live._readings}
        return latest, {a: list(q) for a, q in series.items()}, overflowed

    def requeue(self, addresses) -> None:
        """Addresses taken but not handled (a consumer out of time): handle them next take."""
        with self._live._lock:
            self._dirty.update(addresses)


class LiveState:
    def __init__(self, bus: EventBus) -> None:
        self._lock = threading.Lock()
        self._readings: dict[str, Reading] = {}
        self._devices: dict[str, DeviceStatus] = {}
        self._speakers: dict[str, SpeakerStatus] = {}
        self._changes: list[ChangeSet] = []
        self.ignored = 0
        bus.subscribe(Reading, self._on_reading, batch=self._on_readings)
        bus.subscribe(DeviceStatus, self._on_device)
        bus.subscribe(SpeakerStatus, self._on_speaker)

    def changes(self) -> ChangeSet:
        """A new change set for one consumer; it sees every address already held as changed."""
        change_set = ChangeSet(self)
        with self._lock:
            change_set._dirty.update(self._readings)
            self._changes.append(change_set)
        return change_set

    def forget_changes(self, change_set: ChangeSet) -> None:
        with self._lock:
            if change_set in self._changes:
                self._changes.remove(change_set)

    def _on_reading(self, reading: Reading) -> None:
        self._on_readings((reading,))

    def _on_readings(self, batch) -> None:
        """Bus batch callback: one lock for the readings of a whole read burst."""
        with self._lock:
            latest = self._readings
            get = latest.get
            addresses = []
            add = addresses.append
            for reading in batch:
                address = f"sensor/{reading.sensor_id}/{reading.metric}"
                add(address)
                current = get(address)
                if current is None or reading.ts >= current.ts:
                    latest[address] = reading
            for change_set in self._changes:
                change_set._mark(addresses, batch)

    def _on_device(self, status: DeviceStatus) -> None:
        with self._lock:
            if status.device_id in self._devices or len(self._devices) < MAX_IDS:
                self._devices[status.device_id] = status
            else:
                self.ignored += 1

    def _on_speaker(self, status: SpeakerStatus) -> None:
        with self._lock:
            if status.speaker_id in self._speakers or len(self._speakers) < MAX_IDS:
                self._speakers[status.speaker_id] = status
            else:
                self.ignored += 1

    def reading(self, address: str) -> Reading | None:
        with self._lock:
            return self._readings.get(address)

    def readings(self) -> dict[str, Reading]:
        with self._lock:
            return dict(self._readings)

    def device(self, device_id: str) -> DeviceStatus | None:
        with self._lock:
            return self._devices.get(device_id)

    def devices(self) -> dict[str, DeviceStatus]:
        with self._lock:
            return dict(self._devices)

    def speakers(self) -> dict[str, SpeakerStatus]:
        with self._lock:
            return dict(self._speakers)

    def newest_reading_time(self) -> datetime | None:
        """The newest time stamp among the latest readings: where the data's own clock is (the
        demo's simulator runs ahead of the PC's; a station's clock may run a little fast)."""
        with self._lock:
            return max((r.ts for r in self._readings.values()), default=None)

    def last_reading_time(self, sensor_id: str) -> datetime | None:
        prefix = f"sensor/{sensor_id}/"
        with self._lock:
            times = [r.ts for a, r in self._readings.items() if a.startswith(prefix)]
        return max(times) if times else None
