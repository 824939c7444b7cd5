"""Alarm-rate KPIs and flood-mode detection (ISA-18.2 section 16 / EEMUA 191 style).

Counts *annunciations* (an alert becoming unacknowledged: a new episode or a re-alarm) on
the wall clock (monotonic seconds), not data time, because the operator's load is what a
flood measures. Not thread-safe: the alert engine's worker owns it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

CHATTER_MEMORY_S = 3600.0  # an alert counts as chattering for an hour after it chattered


@dataclass(frozen=True)
class AlertKpis:
    alerts_in_window: int  # annunciations in the last flood window (default 10 min)
    window_s: float
    chattering: int  # alerts that annunciated chatter_count times within chatter_window_s, last hour
    flood: bool
    flood_for_s: float  # how long the current flood has lasted (0 when none)
    time_in_flood_s: float  # total since the engine started
    uptime_s: float
    floods: int  # how many floods since start

    @property
    def flood_share(self) -> float:
        return self.time_in_flood_s / self.uptime_s if self.uptime_s > 0 else 0.0


class FloodMonitor:
    """Flood mode starts above `limit` annunciations in `window_s` and ends when the count in
    the window falls to half the limit (hysteresis, so the view does not flip back and forth)."""

    def __init__(self, limit: int, window_s: float, chatter_count: int, chatter_window_s: float, now: float) -> None:
        self.limit, self.window_s = limit, window_s
        self.chatter_count, self.chatter_window_s = chatter_count, chatter_window_s
        self.started = now
        self._times: deque[float] = deque()
        self._per_alert: dict[str, deque[float]] = {}
        self._chattered_at: dict[str, float] = {}
        self.flood_since: float | None = None
        self._flood_total = 0.0
        self.floods = 0

    def annunciated(self, alert_id: str, now: float, new_episode: bool = True) -> None:
        """Count an annunciation; only new episodes count towards chatter (an escalation
        I -> II -> III is not chatter)."""
        self._times.append(now)
        if not new_episode:
            self.update(now)
            return
        recent = self._per_alert.get(alert_id)
        if recent is None:
            recent = self._per_alert[alert_id] = deque(maxlen=self.chatter_count)
        recent.append(now)
        if len(recent) == self.chatter_count and now - recent[0] <= self.chatter_window_s:
            self._chattered_at[alert_id] = now
        self.update(now)

    def forget(self, alert_id: str) -> None:
        self._per_alert.pop(alert_id, None)

    def update(self, now: float) -> bool:
        """Prune old entries and switch flood mode on/off; returns whether in flood."""
        while self._times and now - self._times[0] > self.window_s:
            self._times.popleft()
        for alert_id in [a for a, t in self._chattered_at.items() if now - t > CHATTER_MEMORY_S]:
            del self._chattered_at[alert_id]
        count = len(self._times)
        if self.flood_since is None and count > self.limit:
            self.flood_since = now
            self.floods += 1
        elif self.flood_since is not None and count <= self.limit // 2:
            self._flood_total += now - self.flood_since
            self.flood_since = None
        return self.flood_since is not None

    def kpis(self, now: float) -> AlertKpis:
        flood_for = now - self.flood_since if self.flood_since is not None else 0.0
        return AlertKpis(
            alerts_in_window=len(self._times), window_s=self.window_s, chattering=len(self._chattered_at),
            flood=self.flood_since is not None, flood_for_s=flood_for, time_in_flood_s=self._flood_total + flood_for,
            uptime_s=now - self.started, floods=self.floods,
        )
