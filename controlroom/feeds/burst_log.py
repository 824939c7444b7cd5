"""Logging a recurring problem (a device sending bad payloads many times a second) once, then at
most once per period with a count, so the log stays readable and small."""

from __future__ import annotations

import logging
import time
from collections import Counter

log = logging.getLogger("controlroom.feeds.mqtt_feed")  # the feed's problems, under the feed's name


class BurstLog:
    """Log a recurring problem once, then at most once per period with a count."""

    def __init__(self, period_s: float) -> None:
        self._period = period_s
        self._last: dict[str, float] = {}
        self._suppressed: Counter[str] = Counter()

    def warn(self, key: str, message: str, *args: object, exc_info: bool = False) -> None:
        now = time.monotonic()
        last = self._last.get(key)
        if last is not None and now - last < self._period:
            self._suppressed[key] += 1
            return
        self._last[key] = now
        more = self._suppressed.pop(key, 0)
        suffix = f" (+{more} more since last report)" if more else ""
        log.warning(message + suffix, *args, exc_info=exc_info)
