"""The flood risk levels the service holds, retained on the broker for the consoles attached to it.

Why: a level is set by live readings only, and silence lowers none. A console that starts (or
attaches) while a gauge is silent has only that gauge's old newest reading, which sets nothing:
it said "chưa xác định" while the service, running all along, held the level 3 that reading set
when it was live. A late reading cannot tell the two apart itself (an eleven-day-old backlog
must set nothing), so the service says what it holds.

``room/flood/risk/<sensor_id>`` (QoS 1, retained, MQTT 5 expiry of three republish intervals):
``{"level": 3, "basis": "measured", "height_m": 2.0, "measured_m": 2.0, "forecast_m": null}``,
published when the level changes and again every REPUBLISH_S, so a level outlives its service
by minutes, not days. A console takes a station's level from it only while it has none of its
own, and so does the service itself after a restart (the level it held before, if the restart
took less than the expiry); from the next live reading on each judges as before.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from controlroom.flood.monitor import FloodRiskMonitor, RiskLevelChanged
from controlroom.flood.risk import FORECAST, MEASURED, StationRisk

log = logging.getLogger(__name__)

RISK_TOPIC = "room/flood/risk"
REPUBLISH_S = 600.0


class RiskPublisher:
    """On the service: each station's held level, retained. `tick` rides a timer thread."""

    def __init__(self, monitor: FloodRiskMonitor, bus, feed, republish_s: float = REPUBLISH_S) -> None:
        self._monitor, self._feed, self.republish_s = monitor, feed, republish_s
        self._last_all: datetime | None = None
        self._unsubscribe = bus.subscribe(RiskLevelChanged, lambda change: self._publish(change.sensor_id))

    def tick(self, now: datetime) -> None:
        if self._last_all is not None and (now - self._last_all).total_seconds() < self.republish_s:
            return
        self._last_all = now
        for sensor_id in self._monitor.risks():
            self._publish(sensor_id)

    def close(self) -> None:
        self._unsubscribe()

    def _publish(self, sensor_id: str) -> None:
        risk = self._monitor.risks().get(sensor_id)
        if risk is None:
            return
        payload = {"level": risk.level, "basis": risk.basis, "height_m": risk.height_m,
                   "measured_m": risk.measured_m, "forecast_m": risk.forecast_m}
        self._feed.publish(f"{RISK_TOPIC}/{sensor_id}", payload, qos=1, retain=True, expiry_s=3 * self.republish_s)


def follow_service_levels(monitor: FloodRiskMonitor, feed) -> None:
    """Take the held levels on the broker for the stations `monitor` has none for."""

    def on_message(topic: str, payload: bytes) -> None:
        sensor_id = topic.rsplit("/", 1)[-1]
        try:
            data = json.loads(payload)
            level, basis = int(data["level"]), str(data["basis"])
            if not 0 <= level <= 5 or basis not in (MEASURED, FORECAST):
                raise ValueError(f"level {level}, basis {basis!r}")
            heights = [None if data.get(k) is None else float(data[k]) for k in ("height_m", "measured_m", "forecast_m")]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            if payload:  # an empty payload is a retained level cleared
                log.warning("flood risk level on %s rejected: %s", topic, exc)
            return
        monitor.adopt(StationRisk(sensor_id, level, basis, *heights))

    feed.subscribe_extra(f"{RISK_TOPIC}/+", on_message)
