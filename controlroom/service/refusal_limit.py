"""How many refused commands the audit log takes: a client that floods the command channel with
bad or unsigned requests must not grow the hash-chained log (and its database) without bound.

Per window (a minute by default) the first `per_window` refusals are audited one by one; the
rest are counted, and the next refusal after the window says how many were left out
("command.refused_suppressed"). Every refusal is still answered and logged.
"""

from __future__ import annotations

import threading
import time

REFUSAL_AUDITS_PER_WINDOW = 30
WINDOW_S = 60.0


class RefusalAuditLimit:
    def __init__(self, per_window: int = REFUSAL_AUDITS_PER_WINDOW, window_s: float = WINDOW_S,
                 clock=time.monotonic) -> None:
        self.per_window = per_window
        self.window_s = window_s
        self._clock = clock
        self._lock = threading.Lock()
        self._window_start = clock()
        self._audited = 0
        self._suppressed = 0
        self.suppressed_total = 0

    def admit(self) -> tuple[bool, int]:
        """(audit this refusal?, refusals left out of the audit in past windows, to record now)."""
        with self._lock:
            now = self._clock()
            left_out = 0
            if now - self._window_start >= self.window_s:
                left_out, self._suppressed = self._suppressed, 0
                self._window_start, self._audited = now, 0
            if self._audited < self.per_window:
                self._audited += 1
                return True, left_out
            self._suppressed += 1
            self.suppressed_total += 1
            return False, left_out
