"""The alert engine's bounded inbox: readings may be shed under overload, operator actions never
silently.

Producers are the bus (feed thread: runs of readings, device statuses, reports, shared alert
messages) and operator calls (any thread). Readings count against `max_readings`; past it a
run is shed for alerting only — the storage writer still keeps every reading — and counted.
Everything else counts against `max_items`; an operator action past it raises ``EngineBusy``
so the operator sees it, and a bus event past it is counted and dropped.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from datetime import UTC, datetime

log = logging.getLogger(__name__)

WARN_EVERY_S = 60.0


class EngineBusy(Exception):
    """The alert engine is too far behind to take an operator action now."""


class ReadingRun(list):
    """A run of readings as the feed delivered it, stamped with when it arrived: "late" is judged
    against that, so an engine that fell behind never takes a live reading for history."""

    __slots__ = ("arrived_at",)


class AlertInbox:
    def __init__(self, max_readings: int, max_items: int) -> None:
        self.max_readings = max_readings
        self.max_items = max_items
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._readings = 0
        self._items = 0
        self._last_warning = 0.0
        self.shed_readings = 0
        self.dropped_items = 0

    def put_readings(self, run) -> bool:
        """A run of readings as one entry (a ReadingRun, stamped now); False (and counted) when shed."""
        entry = ReadingRun(run)
        with self._lock:
            if self._readings + len(entry) > self.max_readings:
                self.shed_readings += len(entry)
                self._warn("alert engine behind: %d readings shed for alerting (still stored)", self.shed_readings)
                return False
            self._readings += len(entry)
        entry.arrived_at = datetime.now(UTC)
        self._queue.put(("readings", entry))
        return True

    def put(self, item: object, *, action: bool = False) -> None:
        """One event or operator action (a callable); see the module docstring for when full."""
        with self._lock:
            if self._items >= self.max_items:
                if action:
                    raise EngineBusy("the alert engine is busy; try again in a moment")
                self.dropped_items += 1
                self._warn("alert engine behind: %d events dropped", self.dropped_items)
                return
            self._items += 1
        self._queue.put(("item", item))

    def put_control(self, item: object) -> None:
        """Stop and other control entries: never refused, never counted."""
        self._queue.put(("control", item))

    def get(self, timeout: float | None = None) -> object:
        """The next entry (a list of readings, or one item); raises queue.Empty on timeout."""
        kind, value = self._queue.get(timeout=timeout) if timeout is not None else self._queue.get_nowait()
        self._taken(kind, value)
        return value

    def get_nowait(self) -> object:
        kind, value = self._queue.get_nowait()
        self._taken(kind, value)
        return value

    def _taken(self, kind: str, value: object) -> None:
        if kind == "control":
            return
        with self._lock:
            if kind == "readings":
                self._readings -= len(value)
            else:
                self._items -= 1

    def depth(self) -> tuple[int, int]:
        """(readings, other items) waiting."""
        with self._lock:
            return self._readings, self._items

    def _warn(self, message: str, count: int) -> None:
        now = time.monotonic()
        if now - self._last_warning >= WARN_EVERY_S:
            self._last_warning = now
            log.warning(message, count)
