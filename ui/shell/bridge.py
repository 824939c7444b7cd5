"""The core's bus and live state on the GUI thread, once per tick, bounded by what changed.

Readings never queue here: the core's LiveState marks which addresses changed, and each tick
(``DRAIN_INTERVAL_MS``) the bridge takes the latest value of those addresses only, calls the
widgets bound to them (``bind``), appends new points to the series plots watch
(``bind_series``), then emits ``readings_changed`` with the same dict for views of many
addresses (map, table). GUI work per tick grows with the number of changed addresses, never
with the message rate; a tick that runs past ``TICK_BUDGET_S`` leaves the rest for the next.

Other events arrive from the bus on the publisher's thread and wait in bounded holders:
device and speaker statuses and alert changes keep the latest per id (bounded by ids);
discrete events (acks, reports, link states, rejects, broadcast updates) keep the newest
``MAX_EVENTS`` and count what they drop in ``dropped``.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from typing import Callable

from PyQt6.QtCore import QObject, QTimer, pyqtSignal

from controlroom.alerts.model import AlertChanged
from controlroom.bus import EventBus
from controlroom.domain import CitizenReport, ConnectionState, DeviceStatus, Reading, Rejected, SpeakerAck, SpeakerStatus
from controlroom.live_state import LiveState

DRAIN_INTERVAL_MS = 100
TICK_BUDGET_S = 0.025
MAX_EVENTS = 10_000
Unbind = Callable[[], None]


class CoreBridge(QObject):
    readings_changed = pyqtSignal(dict)  # address -> latest Reading, the addresses that changed this tick
    device_status = pyqtSignal(object)  # DeviceStatus
    speaker_status = pyqtSignal(object)  # SpeakerStatus
    speaker_ack = pyqtSignal(object)  # SpeakerAck
    citizen_report = pyqtSignal(object)  # CitizenReport
    alert_changed = pyqtSignal(object)  # AlertChanged (local and other consoles')
    connection_state = pyqtSignal(object)  # ConnectionState
    rejected = pyqtSignal(object)  # Rejected
    other_event = pyqtSignal(object)  # any other bus event (broadcast updates, risk levels, ...)

    def __init__(self, bus: EventBus, live: LiveState, parent: QObject | None = None,
                 interval_ms: int = DRAIN_INTERVAL_MS) -> None:
        super().__init__(parent)
        self._live = live
        self._changes = live.changes()
        self._lock = threading.Lock()
        self._latest_by_key: dict[tuple[type, str], object] = {}  # statuses and alerts: latest per id
        self._events: deque = deque(maxlen=MAX_EVENTS)
        self.dropped = 0
        self.delivered: Counter[str] = Counter()
        self._bindings: dict[str, list[Callable[[Reading], None]]] = {}
        self._series: dict[str, list[Callable[[list[Reading], bool], None]]] = {}
        self._unsubscribe = bus.subscribe(object, self._on_event, batch=self._on_events)
        self._signals = {
            DeviceStatus: self.device_status,
            SpeakerStatus: self.speaker_status,
            SpeakerAck: self.speaker_ack,
            CitizenReport: self.citizen_report,
            AlertChanged: self.alert_changed,
            ConnectionState: self.connection_state,
            Rejected: self.rejected,
        }
        self._timer = QTimer(self)
        self._timer.setObjectName("bridge-drain")
        self._timer.timeout.connect(self.drain)
        self._timer.start(interval_ms)

    # -- binding (GUI thread) --------------------------------------------------------------

    def bind(self, address: str, callback: Callable[[Reading], None]) -> Unbind:
        """`callback(reading)` whenever `address` changes (at most once a tick), and now with
        the value already known."""
        self._bindings.setdefault(address, []).append(callback)
        current = self._live.reading(address)
        if current is not None:
            callback(current)
        return lambda: self._remove(self._bindings, address, callback)

    def bind_series(self, address: str, callback: Callable[[list[Reading], bool], None]) -> Unbind:
        """`callback(points, gap)` with the points of `address` that arrived since the last tick;
        `gap` is True when more arrived than a tick keeps (reload that stretch from storage)."""
        self._series.setdefault(address, []).append(callback)
        self._changes.watch_series(self._series)
        return lambda: (self._remove(self._series, address, callback), self._changes.watch_series(self._series))

    @staticmethod
    def _remove(table: dict, address: str, callback) -> None:
        callbacks = table.get(address, [])
        if callback in callbacks:
            callbacks.remove(callback)
        if not callbacks:
            table.pop(address, None)

    # -- bus side (publisher's thread) ----------------------------------------------------

    def _on_event(self, event: object) -> None:
        self._hold(event)

    def _on_events(self, events) -> None:
        if type(events[0]) is Reading:  # readings reach the GUI through the live state
            return
        for event in events:
            self._hold(event)

    def _hold(self, event: object) -> None:
        kind = type(event)
        if kind is Reading:
            return
        key = _latest_key(event)
        with self._lock:
            if key is not None:
                self._latest_by_key.pop(key, None)  # re-inserted last: delivered in arrival order
                self._latest_by_key[key] = event
            else:
                if len(self._events) == MAX_EVENTS:
                    self.dropped += 1
                self._events.append(event)

    def backlog(self) -> int:
        with self._lock:
            return len(self._latest_by_key) + len(self._events)

    # -- GUI side ---------------------------------------------------------------------------

    def drain(self) -> None:
        """One tick: changed readings first (bindings, series, then the signal), then events."""
        started = time.perf_counter()
        latest, series, gaps = self._changes.take()
        if latest:
            self._deliver_readings(latest, started)
        for address, points in series.items():
            for callback in list(self._series.get(address, ())):
                callback(points, address in gaps)
        with self._lock:
            held, self._latest_by_key = list(self._latest_by_key.values()), {}
            events, self._events = list(self._events), deque(maxlen=MAX_EVENTS)
        for event in held + events:
            self.delivered[type(event).__name__] += 1
            self._signals.get(type(event), self.other_event).emit(event)

    def _deliver_readings(self, latest: dict[str, Reading], started: float) -> None:
        done: dict[str, Reading] = {}
        items = list(latest.items())
        for index, (address, reading) in enumerate(items):
            for callback in self._bindings.get(address, ()):
                callback(reading)
            done[address] = reading
            if time.perf_counter() - started > TICK_BUDGET_S and index + 1 < len(items):
                self._changes.requeue(a for a, _ in items[index + 1:])  # the rest next tick
                break
        self.delivered["Reading"] += len(done)
        self.readings_changed.emit(done)

    def close(self) -> None:
        """Stop listening (before the core stops, so no callback hits a dead object)."""
        self._unsubscribe()
        self._live.forget_changes(self._changes)
        self._timer.stop()


def _latest_key(event: object) -> tuple[type, str] | None:
    """Events where only the newest per id matters: statuses and alert changes."""
    kind = type(event)
    if kind is DeviceStatus:
        return kind, event.device_id
    if kind is SpeakerStatus:
        return kind, event.speaker_id
    if kind is AlertChanged:
        return kind, event.alert.id
    return None
