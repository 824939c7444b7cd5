"""Acknowledgement after storage: a QoS-1 message is PUBACKed only once the storage writer has
committed every event queued before it, in the order the messages arrived.

Until then the broker's persistent session keeps the message, so a database outage or a crash
loses nothing. Messages of a connection that was lost are never acknowledged: the broker sends
them again on the next one (the writer's duplicate check keeps one row).
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Callable


class AcksAfterStorage:
    """Used by the feed: `note(mid)` on the network thread per QoS-1 message, `queued()` after
    the messages' events went on the bus; the writer calls `stored(done)` after each commit."""

    def __init__(self, writer, send_ack: Callable[[int], None]) -> None:
        self._writer = writer
        self._send_ack = send_ack
        self._lock = threading.Lock()
        self._noted: list[int] = []  # network thread only
        self._waiting: deque[tuple[int, int, list[int]]] = deque()  # (writer position, connection, mids)
        self._connection = 0
        writer.inbox_bounded_by_broker = True
        writer.add_commit_listener(self.stored)

    def new_connection(self) -> None:
        """Acks still waiting belong to the lost connection: the broker resends those messages."""
        self._connection += 1

    def note(self, mid: int) -> None:
        self._noted.append(mid)

    def queued(self) -> None:
        """The noted messages' events are in the writer's inbox (or they carried none): they are
        acknowledged once the writer has committed everything queued so far (at once if it has)."""
        if not self._noted:
            return
        mids, self._noted = self._noted, []
        with self._lock:
            self._waiting.append((self._writer.events_accepted, self._connection, mids))
        self.stored(self._writer.events_done)

    def stored(self, done: int) -> None:
        """The writer committed its first `done` events: acknowledge every message they cover."""
        with self._lock:
            while self._waiting and self._waiting[0][0] <= done:
                _position, connection, mids = self._waiting.popleft()
                if connection == self._connection:
                    for mid in mids:
                        self._send_ack(mid)

    @property
    def waiting(self) -> int:
        """Messages received but not acknowledged yet because their readings are not stored."""
        with self._lock:
            return sum(len(mids) for _, _, mids in self._waiting) + len(self._noted)
