"""Late readings are history, never a live alarm.

A reading older than its sensor's live limit when it arrives (SensorConfig.live_limit_s: a
device's backlog after an outage, a station whose clock runs slow) is stored and plotted like
any other, but the alert engine does not evaluate it. Per sensor, what arrived late is summed
up once when the backlog ends (the sensor's next live reading, or QUIET_S without late ones):
how many, over which span, and each metric's highest and lowest value (a river's peak, a
pond's lowest oxygen); the duty log records that summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from controlroom.config import Config
from controlroom.domain import HistoryBacklog, Reading

QUIET_S = 30.0  # no late reading for this long, or two reporting intervals if longer: the backlog is over
MAX_OPEN = 10_000  # sensors with an open backlog; more come only from unknown sensor ids


@dataclass
class _Open:
    first_ts: datetime
    last_ts: datetime
    last_arrival: float
    count: int = 0
    extremes: dict[str, list] = field(default_factory=dict)  # metric -> [high, at, low, at]


class LateReadings:
    """Tells late readings apart and sums up each sensor's backlog. One thread (the engine's)."""

    def __init__(self, config: Config) -> None:
        # sensors.status.is_late, with each limit as a timedelta: one subtraction per reading
        self._limits = {s.id: timedelta(seconds=s.live_limit_s) for s in config.sensors}
        self._quiet = {s.id: max(QUIET_S, 2 * s.interval_s) for s in config.sensors}
        self._open: dict[str, _Open] = {}
        self.late = 0  # late readings seen in all

    def is_late(self, reading: Reading, now: datetime) -> bool:
        limit = self._limits.get(reading.sensor_id)
        return limit is not None and now - reading.ts > limit

    def add(self, reading: Reading, mono: float) -> None:
        self.late += 1
        backlog = self._open.get(reading.sensor_id)
        if backlog is None:
            if len(self._open) >= MAX_OPEN:
                return  # counted, not summed up
            backlog = self._open[reading.sensor_id] = _Open(reading.ts, reading.ts, mono)
        backlog.count += 1
        value, ts = reading.value, reading.ts
        if ts < backlog.first_ts:
            backlog.first_ts = ts
        elif ts > backlog.last_ts:
            backlog.last_ts = ts
        backlog.last_arrival = mono
        extremes = backlog.extremes.get(reading.metric)
        if extremes is None:
            backlog.extremes[reading.metric] = [value, ts, value, ts]
        elif value > extremes[0]:
            extremes[0], extremes[1] = value, ts
        elif value < extremes[2]:
            extremes[2], extremes[3] = value, ts

    def live_reading(self, sensor_id: str) -> HistoryBacklog | None:
        """A live reading from `sensor_id` ends its backlog: the summary, if there was one."""
        backlog = self._open.pop(sensor_id, None)
        return None if backlog is None else _summary(sensor_id, backlog)

    def quiet(self, mono: float) -> list[HistoryBacklog]:
        """The backlogs nothing was added to for QUIET_S, summed up and closed."""
        done = [sid for sid, backlog in self._open.items()
                if mono - backlog.last_arrival >= self._quiet.get(sid, QUIET_S)]
        return [_summary(sid, self._open.pop(sid)) for sid in done]


def _summary(sensor_id: str, backlog: _Open) -> HistoryBacklog:
    extremes = tuple(sorted((metric, *values) for metric, values in backlog.extremes.items()))
    return HistoryBacklog(sensor_id, backlog.count, backlog.first_ts, backlog.last_ts, extremes)
