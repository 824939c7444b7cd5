"""What the feed tells of itself: a snapshot of its counters, and its message rate (smoothed
over one-second windows) for the status bar and the service's health."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class FeedStats:
    """A snapshot of the feed's counters, safe to read from any thread."""

    connected: bool
    received: int
    readings: int
    duplicates: int
    rejects: Counter = field(default_factory=Counter)
    rate: float = 0.0  # messages per second, recent
    last_message_at: datetime | None = None

    @property
    def rejected(self) -> int:
        return sum(self.rejects.values())


class MessageRate:
    """Not thread-safe: the feed counts under its own lock."""

    def __init__(self) -> None:
        self._rate = 0.0
        self._window_start = time.monotonic()
        self._window_count = 0

    def count(self, messages: int) -> None:
        self._window_count += messages
        elapsed = time.monotonic() - self._window_start
        if elapsed >= 1.0:
            instant = self._window_count / elapsed
            self._rate = instant if self._rate == 0.0 else 0.5 * self._rate + 0.5 * instant
            self._window_start += elapsed
            self._window_count = 0

    def now(self) -> float:
        """The smoothed rate; with no window closed for a while, the flow slowed or stopped."""
        elapsed = time.monotonic() - self._window_start
        if elapsed > 2.0:
            return self._window_count / elapsed
        return self._rate
