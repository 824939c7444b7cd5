"""Is a series live, stale or offline, and is its value inside its limits? Pure, no Qt.

A series is stale when its newest reading is older than SensorConfig.live_limit_s (3 × its
reporting interval unless configured): the view then marks it and shows when the last value
came, so no widget silently shows an old number. The alert engine and the flood monitor use
the same limit to treat a late reading as history.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from typing import Callable, Sequence
from zoneinfo import ZoneInfo

import numpy as np

from controlroom.config import ThresholdConfig
from controlroom.config.schema import STALE_AFTER_INTERVALS


class Freshness(str, Enum):
    LIVE = "live"
    STALE = "stale"
    OFFLINE = "offline"  # the device said so (retained status / Last Will)
    NO_DATA = "no_data"


class Limit(str, Enum):
    """Where a value sits against ThresholdConfig, worst first in severity order."""

    OK = "ok"
    LOW = "low"
    HIGH = "high"
    LOW_LOW = "low_low"
    HIGH_HIGH = "high_high"

    @property
    def severity(self) -> int:
        return {"ok": 0, "low": 1, "high": 1, "low_low": 2, "high_high": 2}[self.value]


@dataclass(frozen=True)
class SeriesStatus:
    freshness: Freshness
    last_ts: datetime | None

    @property
    def is_stale(self) -> bool:
        return self.freshness in (Freshness.STALE, Freshness.OFFLINE)

    def last_local_hhmm(self, tz: ZoneInfo) -> str:
        """The last value's time in the site's zone, "HH:MM" (with the date if not today)."""
        if self.last_ts is None:
            return "--:--"
        local = self.last_ts.astimezone(tz)
        today = datetime.now(timezone.utc).astimezone(tz).date()
        return local.strftime("%H:%M") if local.date() == today else local.strftime("%H:%M %d/%m")


def is_late(ts: datetime, now: datetime, live_limit_s: float) -> bool:
    """A reading this old when it arrives is history, not news (a device's backlog)."""
    return (now - ts).total_seconds() > live_limit_s


def series_status(last_ts: datetime | None, now: datetime, live_limit_s: float = STALE_AFTER_INTERVALS * 60.0,
                  device_online: bool | None = None) -> SeriesStatus:
    """Freshness of a series whose newest reading is ``last_ts`` (aware datetimes);
    ``live_limit_s`` is the sensor's SensorConfig.live_limit_s."""
    if device_online is False:
        return SeriesStatus(Freshness.OFFLINE, last_ts)
    if last_ts is None:
        return SeriesStatus(Freshness.NO_DATA, None)
    if is_late(last_ts, now, live_limit_s):
        return SeriesStatus(Freshness.STALE, last_ts)
    return SeriesStatus(Freshness.LIVE, last_ts)


def past_limit(value: float, limit: float, rising: bool, reaching_counts: bool = False) -> bool:
    """The one comparison of a value with a limit, for tiles, the map and the alert engine.

    A threshold is a permissible value (QCVN 08:2023 words its limits "≥ 5", "≤ 0.3",
    "6.5–8.5", and a commune's own high/low mean the same): exactly at the limit is within it,
    only beyond it is a breach. An alarm level is *reached* ("ở mức báo động II" from the
    level's height up; VN_AQI bands start at their floor): `reaching_counts=True`."""
    return past_limit_test(rising, reaching_counts)(value, limit)


def past_limit_test(rising: bool, reaching_counts: bool = False) -> Callable[[float, float], bool]:
    """past_limit as one C-level comparison `test(value, limit)`, for the alert engine's hot loop."""
    if reaching_counts:
        return operator.ge if rising else operator.le
    return operator.gt if rising else operator.lt


def limit_state(value: float | None, limits: ThresholdConfig | None) -> Limit:
    """Compare a value with its configured limits (low/high and the outer low_low/high_high)."""
    if value is None or limits is None or not math.isfinite(value):
        return Limit.OK
    if limits.high_high is not None and past_limit(value, limits.high_high, rising=True):
        return Limit.HIGH_HIGH
    if limits.low_low is not None and past_limit(value, limits.low_low, rising=False):
        return Limit.LOW_LOW
    if limits.high is not None and past_limit(value, limits.high, rising=True):
        return Limit.HIGH
    if limits.low is not None and past_limit(value, limits.low, rising=False):
        return Limit.LOW
    return Limit.OK


TREND_MIN_POINTS = 4  # fewer readings than this show no trend
TREND_MIN_SPAN_S = 240.0  # nor do readings spanning less than this


def fitted_trend(ts: Sequence[float], values: Sequence[float], window_s: float,
                 end: float | None = None) -> tuple[float, float] | None:
    """(slope per second, seconds of data it was fitted on): the least-squares line through the
    readings in the `window_s` before `end` (the newest reading if None). Fitted, not
    first-to-last: one noisy reading does not turn the arrow; the span lets a screen say "last
    6 min" when only that much data is there. None when the window holds fewer than
    TREND_MIN_POINTS or spans less than TREND_MIN_SPAN_S: too little data to say a trend."""
    t = np.asarray(ts, dtype=float)
    v = np.asarray(values, dtype=float)
    if not t.size:
        return None
    end = float(t[-1]) if end is None else end
    keep = (t >= end - window_s) & (t <= end) & np.isfinite(v)
    t, v = t[keep], v[keep]
    if t.size < TREND_MIN_POINTS:
        return None
    span = float(t.max() - t.min())
    if span < TREND_MIN_SPAN_S:
        return None
    t = t - t.mean()
    return float((t * (v - v.mean())).sum() / (t * t).sum()), span


def trend_arrow(delta: float | None, dead_zone: float) -> str:
    """"↑", "↓" or "→" for a change; |delta| <= dead_zone counts as steady. No change known
    (too little data): no arrow at all, never a "steady" the data does not show."""
    if delta is None or not math.isfinite(delta):
        return ""
    if abs(delta) <= dead_zone:
        return "→"
    return "↑" if delta > 0 else "↓"
