"""Flood disaster risk level (cấp độ rủi ro thiên tai do lũ, ngập lụt), pure functions.

The level of a river station comes from its water height against its own alarm levels
I/II/III and the site's boundaries (``config.flood.risk_boundaries``, Decision
18/2021/QĐ-TTg Điều 45). A forecast height (entered by the officer or received over MQTT)
can set the level as well as the measured one; whichever gives the higher level wins and the
result says which it was. Colours: Điều 4 khoản 3 (and Phụ lục XII) of the same decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from controlroom.config import AlarmLevelsConfig, Config
from controlroom.config.flood import RiskBoundary

# Decision 18/2021/QĐ-TTg Điều 4 khoản 3: 1 light blue, 2 light yellow, 3 orange, 4 red, 5 purple.
RISK_COLOURS = {0: "#9e9e9e", 1: "#9fd3f5", 2: "#fff59d", 3: "#ff9800", 4: "#e53935", 5: "#8e24aa"}
RISK_TEXT_COLOURS = {0: "#ffffff", 1: "#0b2233", 2: "#2b2600", 3: "#1f1200", 4: "#ffffff", 5: "#ffffff"}

MEASURED = "measured"
FORECAST = "forecast"


def boundary_height(boundary: RiskBoundary, alarm: AlarmLevelsConfig) -> float:
    """Water height (m) at which ``boundary`` starts for a station with these alarm levels."""
    base = (alarm.level_1, alarm.level_2, alarm.level_3)[boundary.alarm - 1]
    return round(base + boundary.offset_m, 4)


def risk_level(height_m: float | None, alarm: AlarmLevelsConfig, boundaries: list[RiskBoundary]) -> int:
    """0 (below every boundary / no data) or 1-5. A boundary's own height belongs to its level."""
    if height_m is None:
        return 0
    level = 0
    for boundary in boundaries:
        if height_m >= boundary_height(boundary, alarm) - 1e-9:
            level = max(level, boundary.level)
    return level


def governing_clause(level: int, boundaries: list[RiskBoundary]) -> str:
    return next((b.clause for b in boundaries if b.level == level), "")


@dataclass(frozen=True)
class StationRisk:
    """Risk of one station: the level, the height that set it and whether it was measured."""

    sensor_id: str
    level: int
    basis: str  # MEASURED or FORECAST
    height_m: float | None
    measured_m: float | None
    forecast_m: float | None
    forecast_at: datetime | None = None
    clause: str = ""
    official: bool = True  # False: the station's levels are the commune's own (an estimate only)


def station_risk(sensor_id: str, alarm: AlarmLevelsConfig, boundaries: list[RiskBoundary],
                 measured_m: float | None, forecast_m: float | None = None,
                 forecast_at: datetime | None = None) -> StationRisk:
    measured = risk_level(measured_m, alarm, boundaries)
    forecast = risk_level(forecast_m, alarm, boundaries)
    if forecast > measured:
        level, basis, height = forecast, FORECAST, forecast_m
    else:
        level, basis, height = measured, MEASURED, measured_m
    return StationRisk(sensor_id, level, basis, height, measured_m, forecast_m, forecast_at,
                       governing_clause(level, boundaries), alarm.official)


def zone_risk(config: Config, zone_id: str, stations: dict[str, StationRisk]) -> StationRisk | None:
    """A zone takes the highest risk of the stations in (or nearest to) its villages; without a
    station of its own it takes the highest station of the site (the river is one basin). At
    the same level a station with official alarm levels speaks for the zone before a gauge
    with the commune's own marks, whatever their heights (a few centimetres more on an
    unsurveyed gauge say nothing official)."""
    zone = next((z for z in config.zones if z.id == zone_id), None)
    if zone is None or not stations:
        return None
    own = [stations[s.id] for s in config.sensors if s.id in stations and s.village in zone.villages]
    pool = own or list(stations.values())
    return max(pool, key=lambda r: (r.level, r.official, r.height_m or -1e9))


def village_levels(config: Config, stations: dict[str, StationRisk]) -> dict[str, int]:
    """Risk level per village for colouring the map: every zone passes its level to its
    villages (highest zone wins); a village in no zone gets its own station's level."""
    levels = {v.id: 0 for v in config.villages}
    for zone in config.zones:
        risk = zone_risk(config, zone.id, stations)
        if risk is None or config.is_whole_commune(zone):  # the river's level is not every village's
            continue
        for village in zone.villages:
            levels[village] = max(levels[village], risk.level if _zone_exposed(config, zone.villages) else 0)
    for sensor in config.sensors:
        if sensor.id in stations and sensor.village in levels:
            levels[sensor.village] = max(levels[sensor.village], stations[sensor.id].level)
    return levels


def _zone_exposed(config: Config, villages: list[str]) -> bool:
    """Only zones holding low-lying villages inherit the river's level."""
    low = {v.id for v in config.villages if v.low_lying}
    return bool(low & set(villages))
