"""Pure condition detectors the alert rules are built from (no threads, no I/O, no Qt).

Each detector is fed samples stamped with *data time* and answers with a ``Condition``
only when its confirmed state changes (and once at its first sample, so an alert restored
from a previous run can return to normal). Time-based confirmation (on-delay, off-delay,
stale data) also advances on ``tick(now)``.

Chatter control follows ISA-18.2 practice: a deadband (hysteresis) on the way out of a
band and an on-delay / off-delay that a new band must persist for before it counts.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Sequence

from controlroom.alerts.model import Condition, Priority
from controlroom.sensors.status import past_limit_test


class BandTracker:
    """Which band a value is in, with deadband and on/off delays.

    `limits` are in escalating order (high, high-high / level I, II, III ...); band 0 is
    normal, band i means limit i was passed. Going *up* a band needs the value beyond the
    limit (past_limit: reaching it counts for alarm levels and bands, not for thresholds);
    coming back needs it beyond the limit by the deadband. A band change counts only after it
    persisted `on_delay` (worse) or `off_delay` (better)."""

    __slots__ = ("limits", "deadband", "rising", "reaching_counts", "_past", "on_delay", "off_delay", "confirmed", "pending", "pending_since", "last_value", "last_ts")

    def __init__(self, limits: Sequence[float], deadband: float, rising: bool, on_delay_s: float, off_delay_s: float,
                 reaching_counts: bool = True) -> None:
        self.limits = tuple(limits)
        self.deadband = deadband
        self.rising = rising
        self.reaching_counts = reaching_counts
        self._past = past_limit_test(rising, reaching_counts)
        self.on_delay = timedelta(seconds=on_delay_s)
        self.off_delay = timedelta(seconds=off_delay_s)
        self.confirmed: int | None = None
        self.pending: int | None = None
        self.pending_since: datetime | None = None
        self.last_value: float | None = None
        self.last_ts: datetime | None = None

    def raw_band(self, value: float) -> int:
        current = self.confirmed or 0
        band = 0
        for i, limit in enumerate(self.limits, 1):
            beyond = self._past(value, limit)
            held = i <= current and (value > limit - self.deadband if self.rising else value < limit + self.deadband)
            if beyond or held:
                band = i
        return band

    def update(self, ts: datetime, value: float) -> int | None:
        """Feed a sample; returns the newly confirmed band, or None if unchanged."""
        self.last_value, self.last_ts = value, ts
        candidate = self.raw_band(value)
        if self.confirmed is None:
            self.confirmed = 0
            if candidate == 0:
                return 0
        if candidate == self.confirmed:
            self.pending = self.pending_since = None
            return None
        if candidate != self.pending:
            self.pending, self.pending_since = candidate, ts
        return self._confirm(ts)

    def tick(self, now: datetime) -> int | None:
        """Confirm a pending band whose delay has passed without a newer sample."""
        if self.pending is None or self.pending_since is None or now < self.pending_since:
            return None
        return self._confirm(now)

    def _confirm(self, now: datetime) -> int | None:
        assert self.pending is not None and self.pending_since is not None and self.confirmed is not None
        delay = self.on_delay if self.pending > self.confirmed else self.off_delay
        if now - self.pending_since >= delay:
            self.confirmed = self.pending
            self.pending = self.pending_since = None
            return self.confirmed
        return None


@dataclass
class Target:
    """Where a detector's alerts point: the source address, its village and display detail."""

    source: str
    village: str | None
    detail: dict[str, Any] = field(default_factory=dict)


class LevelDetector:
    """Bands over limits: threshold high/high-high or low/low-low, flood alarm levels I-III,
    VN_AQI bands. `priorities[i-1]` is the priority of band i."""

    def __init__(self, target: Target, condition: str, kind: str, limits: Sequence[float], priorities: Sequence[Priority],
                 deadband: float = 0.0, rising: bool = True, on_delay_s: float = 0.0, off_delay_s: float = 0.0,
                 reaching_counts: bool = True) -> None:
        if len(limits) != len(priorities) or not limits:
            raise ValueError("one priority per limit, at least one limit")
        self.target, self.condition, self.kind = target, condition, kind
        self.priorities = tuple(priorities)
        self.tracker = BandTracker(limits, deadband, rising, on_delay_s, off_delay_s, reaching_counts)

    def _condition(self, band: int, ts: datetime) -> Condition:
        value = self.tracker.last_value
        active = band > 0
        return Condition(
            self.target.source, self.condition, self.kind, active, ts,
            priority=self.priorities[band - 1] if active else self.priorities[0],
            value=value, limit=self.tracker.limits[band - 1] if active else self.tracker.limits[0],
            band=band, village=self.target.village, detail=self.target.detail,
        )

    def feed(self, ts: datetime, value: float) -> Condition | None:
        band = self.tracker.update(ts, value)
        return None if band is None else self._condition(band, ts)

    def tick(self, now: datetime) -> Condition | None:
        band = self.tracker.tick(now)
        return None if band is None else self._condition(band, now)


class RateOfRiseDetector:
    """Rise faster than `per_hour` units/hour over `window_s` (e.g. water > 30 cm/h).

    The rate is the change from the oldest sample still inside the window; it needs at
    least half a window of data so one noisy pair does not raise. Clears below 80 % of
    the limit (hysteresis) after `off_delay_s`."""

    HYSTERESIS = 0.8
    MAX_SAMPLES = 4096
    condition = "rate_of_rise"

    def __init__(self, target: Target, per_hour: float, window_s: float, priority: Priority,
                 on_delay_s: float = 0.0, off_delay_s: float = 0.0) -> None:
        self.target, self.per_hour, self.priority = target, per_hour, priority
        self.window = timedelta(seconds=window_s)
        self.samples: deque[tuple[datetime, float]] = deque(maxlen=self.MAX_SAMPLES)
        self.tracker = BandTracker((per_hour,), per_hour * (1 - self.HYSTERESIS), True, on_delay_s, off_delay_s)

    def rate(self) -> float | None:
        if len(self.samples) < 2:
            return None
        (t0, v0), (t1, v1) = self.samples[0], self.samples[-1]
        span = (t1 - t0).total_seconds()
        if span < self.window.total_seconds() / 2:
            return None
        return (v1 - v0) / span * 3600.0

    def feed(self, ts: datetime, value: float) -> Condition | None:
        if self.samples and ts < self.samples[-1][0]:
            return None  # late sample: rates are computed on ordered data only
        self.samples.append((ts, value))
        while self.samples and ts - self.samples[0][0] > self.window:
            self.samples.popleft()
        rate = self.rate()
        if rate is None:
            return None
        band = self.tracker.update(ts, rate)
        return None if band is None else self._condition(band, ts, value, rate)

    def tick(self, now: datetime) -> Condition | None:
        band = self.tracker.tick(now)
        if band is None:
            return None
        return self._condition(band, now, self.samples[-1][1] if self.samples else None, self.tracker.last_value)

    def _condition(self, band: int, ts: datetime, value: float | None, rate: float | None) -> Condition:
        detail = dict(self.target.detail, rate_per_hour=None if rate is None else round(rate, 4))
        return Condition(self.target.source, "rate_of_rise", "rate_of_rise", band > 0, ts, priority=self.priority,
                         value=value, limit=self.per_hour, band=band, village=self.target.village, detail=detail)


class PresenceDetector:
    """A yes/no fault with an on-delay and off-delay: device offline, camera offline.

    Fed with "faulty?" observations; confirmed after the fault persisted `on_delay_s`."""

    def __init__(self, target: Target, condition: str, kind: str, priority: Priority,
                 on_delay_s: float = 0.0, off_delay_s: float = 0.0) -> None:
        self.target, self.condition, self.kind, self.priority = target, condition, kind, priority
        self.tracker = BandTracker((1.0,), 0.0, True, on_delay_s, off_delay_s)

    def feed(self, ts: datetime, faulty: bool) -> Condition | None:
        band = self.tracker.update(ts, 1.0 if faulty else 0.0)
        return None if band is None else self._condition(band, ts)

    def tick(self, now: datetime) -> Condition | None:
        band = self.tracker.tick(now)
        return None if band is None else self._condition(band, now)

    def _condition(self, band: int, ts: datetime) -> Condition:
        return Condition(self.target.source, self.condition, self.kind, band > 0, ts, priority=self.priority,
                         band=band, village=self.target.village, detail=self.target.detail)


class StaleDetector:
    """No reading from a sensor for `after_s` seconds (dữ liệu không cập nhật).

    Runs on the wall clock: `seen(ts)` records the newest data time, `tick(now)` decides.
    Until the first reading, the engine's start time stands in for it."""

    def __init__(self, target: Target, after_s: float, priority: Priority, started: datetime) -> None:
        self.target, self.priority = target, priority
        self.after = timedelta(seconds=after_s)
        self.last_seen = started
        self.active: bool | None = None

    def seen(self, ts: datetime) -> Condition | None:
        if ts > self.last_seen:
            self.last_seen = ts
        return self.tick(ts) if self.active else None

    def tick(self, now: datetime) -> Condition | None:
        active = now - self.last_seen > self.after
        if active == self.active:
            return None
        self.active = active
        age = (now - self.last_seen).total_seconds()
        return Condition(self.target.source, "stale", "stale", active, now, priority=self.priority,
                         value=round(age), limit=self.after.total_seconds(), band=int(active),
                         village=self.target.village, detail=dict(self.target.detail, last_seen=self.last_seen.isoformat()))


AqiFunction = Callable[[float], "tuple[int, int] | None"]  # now_epoch_s -> (aqi value, band index 1..6)


class AqiDetector:
    """VN_AQI band changes of an air-quality station (Decision 1459/QĐ-TCMT bands).

    `aqi_at(now)` gives (index, band number 1-6) from the station's hourly tracker; bands at
    or above `min_band` are alerts, each band its own priority; a worse band re-annunciates."""

    def __init__(self, target: Target, aqi_at: AqiFunction, min_band: int, priorities: Sequence[Priority],
                 deadband: float = 5.0, on_delay_s: float = 0.0, off_delay_s: float = 0.0) -> None:
        self.target = target
        self.aqi_at = aqi_at
        self.min_band = min_band
        # Bảng 1 lower bounds of bands 2..6 are 51, 101, 151, 201, 301.
        self.band_floors = (51.0, 101.0, 151.0, 201.0, 301.0)[min_band - 2:]
        self.priorities = tuple(priorities)
        self.tracker = BandTracker(self.band_floors, deadband, True, on_delay_s, off_delay_s)
        self.band_names: Sequence[str] = ()

    def evaluate(self, now: datetime) -> Condition | None:
        result = self.aqi_at(now.timestamp())
        if result is None or not math.isfinite(result[0]):
            return None
        band = self.tracker.update(now, float(result[0]))
        if band is None:
            band = self.tracker.tick(now)
        return None if band is None else self._condition(band, now)

    def tick(self, now: datetime) -> Condition | None:
        band = self.tracker.tick(now)
        return None if band is None else self._condition(band, now)

    def _condition(self, band: int, ts: datetime) -> Condition:
        active = band > 0
        priority = self.priorities[min(band, len(self.priorities)) - 1] if active else self.priorities[0]
        vn_band = self.min_band - 1 + band if active else 0  # 1 = Tốt ... 6 = Nguy hại
        return Condition(self.target.source, "aqi", "aqi_band", active, ts, priority=priority,
                         value=self.tracker.last_value, limit=self.band_floors[band - 1] if active else self.band_floors[0],
                         band=band, village=self.target.village, detail=dict(self.target.detail, vn_aqi_band=vn_band))
