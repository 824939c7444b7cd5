"""Dropping QoS-1 redeliveries cheaply: a reading seen again (same sensor, time and metric) after
a reconnect is not published twice. Bounded: two generations of a fixed size."""

from __future__ import annotations

from datetime import datetime


class RecentReadings:
    """Bounded memory of recently seen readings, to drop QoS-1 redeliveries cheaply.

    Keyed per message by (sensor, ts) -> metrics seen, so an aware datetime (slow to hash)
    is hashed once per message rather than once per value. Two generations of dicts: when
    the current one is full it becomes the previous one and the oldest is forgotten."""

    def __init__(self, generation_size: int) -> None:
        self._size = generation_size
        self._current: dict[tuple, set[str]] = {}
        self._previous: dict[tuple, set[str]] = {}

    def metrics_seen(self, sensor_id: str, ts: datetime) -> set[str]:
        """The (mutable) set of metrics already seen for this sensor at this time."""
        key = (sensor_id, ts)
        seen = self._current.get(key)
        if seen is None:
            seen = self._previous.get(key)
            if seen is None:
                seen = set()
            current = self._current
            current[key] = seen
            if len(current) >= self._size:
                self._previous = current
                self._current = {}
        return seen
