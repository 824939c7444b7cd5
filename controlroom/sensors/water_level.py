"""Water-level and rain figures for the flood picture: trend, alarm level exceeded, rain sums.

Pure functions and one bounded window class; no Qt. Levels are in metres, trends in cm/h,
rain in mm, timestamps in epoch seconds (UTC).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from controlroom.config import AlarmLevelsConfig
from controlroom.sensors.status import fitted_trend, past_limit

# The trend is the least-squares slope over the last 30 minutes of data, ending at the newest
# reading (its own time base, not the PC's clock). It shows from 4 minutes and 4 readings on:
# a river rising tens of cm/h is plain by then, and a shorter span is gauge noise.
TREND_WINDOW_S = 1800.0


def exceeded_level(level_m: float | None, alarm: AlarmLevelsConfig) -> int:
    """Which alarm level (mức báo động) I-III the water has reached: 0 = below level I.

    Reaching a level counts as exceeding it, as the bulletins say "ở mức BĐ II".
    """
    if level_m is None or not math.isfinite(level_m):
        return 0
    if level_m >= alarm.level_3:
        return 3
    if level_m >= alarm.level_2:
        return 2
    if level_m >= alarm.level_1:
        return 1
    return 0


def distance_to_next_level(level_m: float, alarm: AlarmLevelsConfig) -> tuple[int, float] | None:
    """(next level number, metres still to rise) or None above level III."""
    for number, threshold in ((1, alarm.level_1), (2, alarm.level_2), (3, alarm.level_3)):
        if level_m < threshold:
            return number, threshold - level_m
    return None


def local_limits(sensor) -> tuple[float, ...]:
    """A gauge without alarm levels (a lagoon's, a tide gauge's): the commune's own limits on its
    level, high then high-high (empty when it has neither)."""
    if sensor.alarm_levels is not None:
        return ()
    t = next(iter(sensor.metrics.values())).thresholds
    if t is None:
        return ()
    return tuple(v for v in (t.high, t.high_high) if v is not None)


def limits_passed(level_m: float, limits: Sequence[float]) -> int:
    """How many of the commune's limits the water is past (exactly at one is within it)."""
    return sum(1 for limit in limits if past_limit(level_m, limit, rising=True))


def distance_to_next_limit(level_m: float, limits: Sequence[float]) -> tuple[int, float] | None:
    """(next limit's number, metres still to rise) or None past the last one."""
    for number, limit in enumerate(limits, 1):
        if not past_limit(level_m, limit, rising=True):
            return number, limit - level_m
    return None


@dataclass(frozen=True)
class AlarmBand:
    """A horizontal band of a plot: from ``low`` to ``high`` metres, labelled I/II/III."""

    level: int
    low: float
    high: float


def alarm_bands(alarm: AlarmLevelsConfig, top: float | None = None) -> list[AlarmBand]:
    """Bands [I, II), [II, III), [III, top]; ``top`` defaults to III + (III - II)."""
    top = alarm.level_3 + (alarm.level_3 - alarm.level_2) if top is None else max(top, alarm.level_3)
    return [
        AlarmBand(1, alarm.level_1, alarm.level_2),
        AlarmBand(2, alarm.level_2, alarm.level_3),
        AlarmBand(3, alarm.level_3, top),
    ]


def trend_cm_per_h(ts: Sequence[float], level_m: Sequence[float], now: float | None = None,
                   window_s: float = TREND_WINDOW_S) -> float | None:
    """Least-squares slope of the level over the last TREND_WINDOW_S, in cm/h (positive =
    rising). The window ends at `now` if given, else at the newest reading.

    None when the window holds fewer than TREND_MIN_POINTS or spans less than TREND_MIN_SPAN_S
    (controlroom.sensors.status).
    """
    trend = level_trend(ts, level_m, now, window_s)
    return None if trend is None else trend[0]


def level_trend(ts: Sequence[float], level_m: Sequence[float], now: float | None = None,
                window_s: float = TREND_WINDOW_S) -> tuple[float, float] | None:
    """(cm/h, seconds of data it rests on): the trend and how much of the window had data."""
    fitted = fitted_trend(ts, level_m, window_s, now)
    return None if fitted is None else (fitted[0] * 3600.0 * 100.0, fitted[1])


def rain_sum(ts: Sequence[float], rain_mm: Sequence[float], now: float, window_s: float) -> float:
    """Rain fallen in (now - window, now]: each reading is the amount since the previous one."""
    return float(sum(v for t, v in zip(ts, rain_mm) if now - window_s < t <= now and math.isfinite(v)))


class RecentWindow:
    """The last ``span_s`` seconds of one series, for trends and sums on live data.

    Bounded by time and by ``max_points``; readings older than the newest minus the span are
    dropped as new ones arrive. Late readings are inserted in order.
    """

    def __init__(self, span_s: float, max_points: int = 20000) -> None:
        self.span_s = span_s
        self._points: deque[tuple[float, float]] = deque(maxlen=max_points)

    def add(self, ts: float, value: float) -> None:
        if self._points and ts < self._points[-1][0]:
            if ts < self._points[-1][0] - self.span_s:
                return
            items = sorted([*self._points, (ts, value)])
            self._points.clear()
            self._points.extend(items)
        else:
            self._points.append((ts, value))
        newest = self._points[-1][0]
        while self._points and self._points[0][0] < newest - self.span_s:
            self._points.popleft()

    def __len__(self) -> int:
        return len(self._points)

    def latest(self) -> tuple[float, float] | None:
        return self._points[-1] if self._points else None

    def arrays(self) -> tuple[list[float], list[float]]:
        return [t for t, _ in self._points], [v for _, v in self._points]

    def trend_cm_per_h(self, now: float | None = None) -> float | None:
        ts, values = self.arrays()
        return trend_cm_per_h(ts, values, now)

    def trend(self, now: float | None = None) -> tuple[float, float] | None:
        """(cm/h, seconds of data) over the last TREND_WINDOW_S: see level_trend."""
        ts, values = self.arrays()
        return level_trend(ts, values, now)

    def sum_since(self, now: float, window_s: float) -> float:
        ts, values = self.arrays()
        return rain_sum(ts, values, now, window_s)
