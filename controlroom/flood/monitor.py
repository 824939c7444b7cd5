"""Live flood risk per river station: readings and forecasts in, level changes out on the bus.

Runs on the publisher's thread (MQTT network thread for readings); the latest height comes
from the core's LiveState (the one holder of latest values), the monitor keeps a bounded
recent window for the trend and the latest forecast per station. A change
of a station's risk level is published as ``RiskLevelChanged`` (the duty log, the flood panel
and the map listen). Forecasts arrive over MQTT on ``<site>/flood/forecast/<sensor_id>``
(``{"level": 4.9, "ts": …, "source": "…"}``) or from the officer through ``set_forecast``.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Callable

from controlroom.bus import EventBus
from controlroom.config import Config
from controlroom.domain import Reading
from controlroom.sensors.status import is_late
from controlroom.live_state import LiveState
from controlroom.flood.risk import FORECAST, StationRisk, governing_clause, station_risk, village_levels, zone_risk
from controlroom.sensors.water_level import TREND_WINDOW_S, RecentWindow, exceeded_level

log = logging.getLogger(__name__)

FORECAST_TOPIC = "flood/forecast/+"


@dataclass(frozen=True)
class RiskLevelChanged:
    """A station's flood risk level moved (cấp độ rủi ro thay đổi)."""

    sensor_id: str
    old_level: int
    new_level: int
    basis: str
    height_m: float | None
    ts: datetime


@dataclass(frozen=True)
class StationState:
    """What a bulletin needs about a station right now."""

    sensor_id: str
    name: str
    height_m: float | None
    alarm_level: int  # 0-3 exceeded alarm level
    trend_cm_h: float | None
    risk: StationRisk
    ts: datetime | None


class FloodRiskMonitor:
    def __init__(self, config: Config, bus: EventBus, live: LiveState, feed=None, trend_window_s: float = TREND_WINDOW_S,
                 clock: Callable[[], datetime] | None = None) -> None:
        """`clock` (UTC) tells a live reading from a late one; a replay can drive it."""
        self.config = config
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._bus = bus
        self._live = live
        self._lock = threading.Lock()
        self._stations = {s.id: s for s in config.sensors if s.kind == "water_level" and s.alarm_levels}
        self._windows = {sid: RecentWindow(trend_window_s, max_points=2000) for sid in self._stations}
        self._forecast: dict[str, tuple[float, datetime, str]] = {}
        self._risk: dict[str, StationRisk] = {}
        self.rejected_forecasts = 0
        self._unsubscribe = bus.subscribe(Reading, self._on_reading, batch=self._on_readings)
        if feed is not None:
            feed.subscribe_extra(FORECAST_TOPIC, self._on_forecast_message)

    def close(self) -> None:
        self._unsubscribe()

    def seed(self, history) -> None:
        """Fill the trend windows with what storage holds, so a restart does not blank the
        trend the bulletins quote. `history(sensor_id, start, end)` gives (ts, levels) in
        epoch seconds; the window reaches back TREND_WINDOW_S from now (and a little ahead,
        for a station whose clock runs fast)."""
        now = self._clock().timestamp()
        for sensor_id, window in self._windows.items():
            ts, levels = history(sensor_id, now - window.span_s, now + 600.0)
            with self._lock:
                for t, level in zip(ts, levels):
                    window.add(float(t), float(level))

    def _latest(self, sensor_id: str) -> tuple[datetime, float] | None:
        reading = self._live.reading(f"sensor/{sensor_id}/level")
        return None if reading is None else (reading.ts, reading.value)

    # -- inputs ---------------------------------------------------------------------------
    def _on_readings(self, batch) -> None:
        """A read burst: most readings are not a station's level; skip those in one loop."""
        stations = self._stations
        for reading in batch:
            if reading.sensor_id in stations and reading.metric == "level":
                try:
                    self._on_reading(reading)
                except Exception:  # one bad reading must not cost the rest of the burst
                    log.exception("flood monitor failed on %s", reading.address)

    def _on_reading(self, reading: Reading) -> None:
        if reading.sensor_id not in self._stations or reading.metric != "level":
            return
        with self._lock:
            self._windows[reading.sensor_id].add(reading.ts.timestamp(), reading.value)
        if is_late(reading.ts, self._clock(), self._stations[reading.sensor_id].live_limit_s):
            return  # a backlog is history: it feeds the trend, never the live risk level
        self._recompute(reading.sensor_id, reading.ts)

    def adopt(self, risk: StationRisk) -> None:
        """A level held on the broker (see risk_retained), for a station this monitor has no
        level for yet: a console started while the gauge is silent shows what the service holds,
        a restarted service what it held. Clause and officialness come from this site's config.
        Not published: no change."""
        sensor = self._stations.get(risk.sensor_id)
        if sensor is None:
            log.warning("flood risk level for %s ignored: not a water level station of this site", risk.sensor_id)
            return
        risk = replace(risk, clause=governing_clause(risk.level, self.config.flood.risk_boundaries),
                       official=sensor.alarm_levels.official)
        with self._lock:
            self._risk.setdefault(risk.sensor_id, risk)

    def set_forecast(self, sensor_id: str, level_m: float | None, source: str = "officer",
                     ts: datetime | None = None) -> None:
        """Set (or clear with None) the forecast height of a station."""
        if sensor_id not in self._stations:
            raise KeyError(sensor_id)
        ts = ts or datetime.now(timezone.utc)
        with self._lock:
            if level_m is None:
                self._forecast.pop(sensor_id, None)
            else:
                self._forecast[sensor_id] = (float(level_m), ts, source)
        self._recompute(sensor_id, ts)

    def _on_forecast_message(self, topic: str, payload: bytes) -> None:
        sensor_id = topic.rsplit("/", 1)[-1]
        try:
            data = json.loads(payload)
            level = float(data["level"]) if data.get("level") is not None else None
            self.set_forecast(sensor_id, level, source=str(data.get("source", "mqtt")))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            self.rejected_forecasts += 1
            log.warning("flood forecast on %s rejected: %s", topic, exc)

    # -- state ----------------------------------------------------------------------------
    def _recompute(self, sensor_id: str, ts: datetime) -> None:
        sensor = self._stations[sensor_id]
        measured = self._latest(sensor_id)
        with self._lock:
            forecast = self._forecast.get(sensor_id)
            risk = station_risk(sensor_id, sensor.alarm_levels, self.config.flood.risk_boundaries,
                                measured[1] if measured else None,
                                forecast[0] if forecast else None, forecast[1] if forecast else None)
            old = self._risk.get(sensor_id)
            self._risk[sensor_id] = risk
        if old is None or old.level != risk.level:
            self._bus.publish(RiskLevelChanged(sensor_id, old.level if old else 0, risk.level, risk.basis,
                                               risk.height_m, ts))

    def risks(self) -> dict[str, StationRisk]:
        with self._lock:
            return dict(self._risk)

    def station(self, sensor_id: str) -> StationState:
        sensor = self._stations[sensor_id]
        latest = self._latest(sensor_id)
        with self._lock:
            trend = self._windows[sensor_id].trend_cm_per_h()
            risk = self._risk.get(sensor_id) or station_risk(sensor_id, sensor.alarm_levels,
                                                              self.config.flood.risk_boundaries, None)
        height = latest[1] if latest else None
        return StationState(sensor_id, sensor.name, height, exceeded_level(height, sensor.alarm_levels),
                            trend, risk, latest[0] if latest else None)

    def is_live(self, state: StationState) -> bool:
        """Whether the station's newest level is recent enough to set a live risk level (an
        older one is history: shown with its time, never as the river now)."""
        return state.ts is not None and not is_late(state.ts, self._clock(), self._stations[state.sensor_id].live_limit_s)

    def is_known(self, state: StationState | None, risk: StationRisk | None) -> bool:
        """Whether `risk` (a zone's, from `state`'s station) says anything: a live level, a
        forecast, or a level above 0 held from a reading gone old. Level 0 from an old reading
        is not known: the water may have risen since."""
        if risk is None or state is None:
            return False
        return risk.basis == FORECAST or risk.level > 0 or self.is_live(state)

    def stations(self) -> list[StationState]:
        return [self.station(sid) for sid in self._stations]

    def zone(self, zone_id: str) -> StationRisk | None:
        return zone_risk(self.config, zone_id, self.risks())

    def governing_station(self, zone_id: str | None = None) -> StationState | None:
        """The station that sets the zone's level (highest risk, then highest water)."""
        risk = self.zone(zone_id or self.config.flood.bulletin_zone)
        if risk is None:
            states = self.stations()
            return max(states, key=lambda s: s.height_m or -1e9) if states else None
        return self.station(risk.sensor_id)

    def village_levels(self) -> dict[str, int]:
        return village_levels(self.config, self.risks())
