"""Turns the core's bus events into Qt signals on the GUI thread.

Bus callbacks run on the publisher's thread (the MQTT network thread, the writer thread...),
so they only put the event into a `queue.SimpleQueue`. One QTimer on the GUI thread drains
the queue every ~100 ms and emits typed signals: readings as one list per tick (a table or
plot redraws once per batch, not once per message), everything else one event per signal.
Measured in this project: one timer draining a queue beat one queued signal per message ~10x.
A batch published on the bus (``publish_batch``: the readings of a whole MQTT read burst) is
one queue item, not one per reading.
"""

from __future__ import annotations

import queue
from collections import Counter

from PyQt6.QtCore import QObject, QTimer, pyqtSignal

from controlroom.bus import EventBus
from controlroom.domain import (
    CitizenReport,
    ConnectionState,
    DeviceStatus,
    Reading,
    Rejected,
    RoomAlertMessage,
    SpeakerAck,
    SpeakerStatus,
)

DRAIN_INTERVAL_MS = 100
MAX_EVENTS_PER_TICK = 50_000  # a backlog is worked off over several ticks, keeping the GUI responsive


class _Run:
    """A run of same-typed events from ``EventBus.publish_batch``, queued as one item."""

    __slots__ = ("events",)

    def __init__(self, events) -> None:
        self.events = tuple(events)


class CoreBridge(QObject):
    readings = pyqtSignal(list)  # list[Reading], in arrival order
    device_status = pyqtSignal(object)  # DeviceStatus
    speaker_status = pyqtSignal(object)  # SpeakerStatus
    speaker_ack = pyqtSignal(object)  # SpeakerAck
    citizen_report = pyqtSignal(object)  # CitizenReport
    room_alert = pyqtSignal(object)  # RoomAlertMessage
    connection_state = pyqtSignal(object)  # ConnectionState
    rejected = pyqtSignal(object)  # Rejected
    other_event = pyqtSignal(object)  # any other bus event (e.g. alert engine events)

    def __init__(self, bus: EventBus, parent: QObject | None = None, interval_ms: int = DRAIN_INTERVAL_MS) -> None:
        super().__init__(parent)
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        put = self._queue.put
        # both run on the publisher's thread
        self._unsubscribe = bus.subscribe(object, put, batch=lambda events: put(_Run(events)))
        self.delivered: Counter[str] = Counter()
        self._signals = {
            DeviceStatus: self.device_status,
            SpeakerStatus: self.speaker_status,
            SpeakerAck: self.speaker_ack,
            CitizenReport: self.citizen_report,
            RoomAlertMessage: self.room_alert,
            ConnectionState: self.connection_state,
            Rejected: self.rejected,
        }
        self._timer = QTimer(self)
        self._timer.setObjectName("bridge-drain")
        self._timer.timeout.connect(self.drain)
        self._timer.start(interval_ms)

    def backlog(self) -> int:
        return self._queue.qsize()

    def drain(self) -> None:
        """Emit what arrived since the last tick (GUI thread)."""
        batch: list[Reading] = []
        taken = 0
        get = self._queue.get_nowait
        while taken < MAX_EVENTS_PER_TICK:
            try:
                item = get()
            except queue.Empty:
                break
            if type(item) is _Run:
                events = item.events
                taken += len(events)
                if type(events[0]) is Reading:
                    batch.extend(events)
                    continue
            else:
                taken += 1
                if type(item) is Reading:
                    batch.append(item)
                    continue
                events = (item,)
            if batch:  # keep order between readings and status changes
                self._emit_readings(batch)
                batch = []
            for event in events:
                signal = self._signals.get(type(event), self.other_event)
                self.delivered[type(event).__name__] += 1
                signal.emit(event)
        if batch:
            self._emit_readings(batch)

    def _emit_readings(self, batch: list[Reading]) -> None:
        self.delivered["Reading"] += len(batch)
        self.readings.emit(batch)

    def close(self) -> None:
        """Stop listening to the bus (before the core stops, so no callback hits a dead object)."""
        self._unsubscribe()
        self._timer.stop()
