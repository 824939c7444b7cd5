"""Readings -> rule conditions, on the alert engine's thread.

The values of one message share their sensor and time, so what depends on those only (stale
data, late or live, the end of a backlog, the AQI hour) is done once per message, not once per
value: in an ingest flood the engine competes with the feed and the writer for the one
interpreter. Late readings are history: they feed the hourly AQI means and the backlog
summary, never a live alarm.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Callable, Iterable

from controlroom.alerts.backlog import LateReadings
from controlroom.alerts.model import Condition
from controlroom.alerts.rules import RuleSet
from controlroom.bus import EventBus
from controlroom.domain import Reading
from controlroom.sensors.vn_aqi import POLLUTANTS, HourlyAqiTracker

log = logging.getLogger(__name__)
AQI_EVERY = timedelta(seconds=60)  # re-evaluate VN_AQI at most this often (data time)


class AqiHours:
    """Each air station's hourly means, fed by every reading and read by its AQI rule."""

    def __init__(self) -> None:
        self._trackers: dict[str, HourlyAqiTracker] = {}

    def tracker(self, sensor_id: str) -> HourlyAqiTracker:
        tracker = self._trackers.get(sensor_id)
        if tracker is None:
            tracker = self._trackers[sensor_id] = HourlyAqiTracker()
        return tracker

    def function(self, sensor_id: str) -> Callable[[float], tuple[float, int] | None]:
        """`aqi_at(now_epoch_s)` for the sensor's AQI rule (rules.compile_rules)."""
        def aqi_at(now_epoch_s: float):
            result = self.tracker(sensor_id).aqi(now_epoch_s)
            return None if result is None else (result.value, 0)
        return aqi_at


class ReadingEvaluator:
    """Feeds readings to the rules; `apply` turns each condition into an alert change."""

    def __init__(self, rules: RuleSet, late: LateReadings, aqi_hours: AqiHours, bus: EventBus,
                 apply: Callable[[Condition | None, list], None], counters: dict[str, int]) -> None:
        self.rules = rules
        self.late = late
        self.aqi_hours = aqi_hours
        self.bus = bus
        self.apply = apply
        self.counters = counters
        self._aqi_next: dict[str, datetime] = {}

    def evaluate(self, run: Iterable[Reading], now: datetime, changes: list) -> None:
        """Readings as the feed delivered them; `now` is when they arrived ("late" is measured
        against the arrival, not against when the engine got to them)."""
        rules, late, apply = self.rules, self.late, self.apply
        by_metric, aqi_next = rules.by_metric, self._aqi_next
        mono = None
        sensor_id = ts = aqi = tracker = hour = None
        is_late = False
        count = late_count = evaluations = 0
        for reading in run:
            try:
                if reading.sensor_id != sensor_id or reading.ts != ts:
                    sensor_id, ts = reading.sensor_id, reading.ts
                    stale = rules.stale.get(sensor_id)
                    if stale is not None:
                        apply(stale.seen(ts), changes)
                    aqi = rules.aqi.get(sensor_id)
                    tracker = None if aqi is None else self.aqi_hours.tracker(sensor_id)
                    hour = None if tracker is None else int(ts.timestamp() // 3600)
                    is_late = late.is_late(reading, now)
                    if not is_late:
                        summary = late.live_reading(sensor_id)
                        if summary is not None:
                            self.bus.publish(summary)
                count += 1
                metric = reading.metric
                pollutant = tracker is not None and metric in POLLUTANTS
                if pollutant:  # hourly means need every hour, late or not
                    tracker.add_in_hour(metric, hour, reading.value)
                if is_late:
                    late_count += 1
                    late.add(reading, mono if mono is not None else (mono := time.monotonic()))
                    continue
                for detector in by_metric.get((sensor_id, metric), ()):
                    evaluations += 1
                    apply(detector.feed(ts, reading.value), changes)
                if pollutant:
                    due = aqi_next.get(sensor_id)
                    if due is None or ts >= due:
                        aqi_next[sensor_id] = ts + AQI_EVERY
                        apply(aqi.evaluate(ts), changes)
            except Exception:  # one bad reading must not stop alerting on the others
                log.exception("alert engine failed on a reading of %s", getattr(reading, "sensor_id", "?"))
                sensor_id = ts = None  # the next reading starts over
        counters = self.counters
        counters["readings"] += count
        counters["late_readings"] += late_count
        counters["evaluations"] += evaluations
