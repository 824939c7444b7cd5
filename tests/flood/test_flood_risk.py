"""Risk level (cấp độ rủi ro) from water height, per QĐ 18/2021/QĐ-TTg Điều 45 as configured."""

from datetime import datetime, timedelta, timezone

import pytest

from controlroom.bus import EventBus
from controlroom.domain import Reading
from controlroom.live_state import LiveState
from controlroom.config.flood import FloodDutyConfig
from controlroom.flood.monitor import FloodRiskMonitor, RiskLevelChanged
from controlroom.flood.risk import FORECAST, MEASURED, RISK_COLOURS, boundary_height, risk_level
from controlroom.sim.models import FloodScenario, SiteModel


@pytest.fixture
def station(demo_config):
    return next(s for s in demo_config.sensors if s.kind == "water_level")


@pytest.mark.parametrize("height, level", [
    (1.49, 0), (1.50, 2), (2.99, 2), (3.00, 3), (4.50, 3), (4.79, 3),
    (4.80, 4), (5.49, 4), (5.50, 5), (9.0, 5), (None, 0),
])
def test_boundary_values_of_area_4(station, height, level):
    boundaries = FloodDutyConfig().risk_boundaries
    assert station.alarm_levels.level_3 == 4.5
    assert risk_level(height, station.alarm_levels, boundaries) == level


def test_demo_config_cites_the_decision_next_to_each_boundary(demo_config):
    flood = demo_config.flood
    assert all("Điều 45" in b.clause for b in flood.risk_boundaries)
    assert "18/2021/QĐ-TTg" in flood.risk_source
    assert RISK_COLOURS[1] and RISK_COLOURS[5]


def test_boundaries_out_of_order_are_refused():
    with pytest.raises(ValueError):
        FloodDutyConfig(risk_boundaries=[{"level": 4, "alarm": 3, "offset_m": 0.3},
                                         {"level": 3, "alarm": 2}])


def test_simulated_hydrograph_moves_the_risk_level_at_the_configured_boundaries(demo_config, station):
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    model = SiteModel(demo_config, 0, start, FloodScenario(peak_over_level_3_m=1.2, peak_jitter_m=0.0))
    river = model.stations[station.id]
    bus = EventBus()
    changes: list[RiskLevelChanged] = []
    bus.subscribe(RiskLevelChanged, changes.append)
    now = [start]
    monitor = FloodRiskMonitor(demo_config, bus, LiveState(bus), clock=lambda: now[0])  # the replay's clock
    heights = {}
    for minute in range(0, 12 * 60, 2):
        ts = now[0] = start + timedelta(minutes=minute)
        value = model.flood.level(river, minute / 60.0)
        heights[ts] = value
        bus.publish(Reading(station.id, "level", ts, value))
    mine = [c for c in changes if c.sensor_id == station.id]
    rising = [c.new_level for c in mine if c.new_level > c.old_level]
    assert rising[:4] == [2, 3, 4, 5]
    boundaries = demo_config.flood.risk_boundaries
    for change in mine:
        if change.new_level > change.old_level:
            edge = boundary_height(next(b for b in boundaries if b.level == change.new_level), station.alarm_levels)
            previous = max(t for t in heights if t < change.ts)
            assert heights[previous] < edge <= change.height_m
    assert monitor.station(station.id).alarm_level == 3 or mine[-1].new_level < 5


def test_forecast_sets_the_level_and_says_so(demo_config, station):
    bus = EventBus()
    monitor = FloodRiskMonitor(demo_config, bus, LiveState(bus))
    now = datetime.now(timezone.utc)
    bus.publish(Reading(station.id, "level", now, 2.0))
    assert monitor.risks()[station.id].level == 2 and monitor.risks()[station.id].basis == MEASURED
    monitor.set_forecast(station.id, 5.0)
    risk = monitor.risks()[station.id]
    assert (risk.level, risk.basis, risk.forecast_m) == (4, FORECAST, 5.0)
    monitor.set_forecast(station.id, None)
    assert monitor.risks()[station.id].basis == MEASURED


def test_bad_forecast_message_is_counted_not_raised(demo_config, station):
    monitor = FloodRiskMonitor(demo_config, EventBus(), LiveState(EventBus()))
    monitor._on_forecast_message(f"quangtho/flood/forecast/{station.id}", b"{not json")
    monitor._on_forecast_message("quangtho/flood/forecast/nope", b'{"level": 3}')
    assert monitor.rejected_forecasts == 2


@pytest.mark.parametrize("area", [1, 2, 3])
def test_an_area_other_than_4_must_list_its_own_boundaries(area):
    """Area 4's table would put BĐ1 at cấp 2 where Điều 45 khoản 1 gives areas 1-3 cấp 1."""
    with pytest.raises(ValueError, match=f"risk_area = {area}"):
        FloodDutyConfig(risk_area=area)
    own = FloodDutyConfig(risk_area=area, risk_boundaries=[
        {"level": 1, "alarm": 1, "clause": "Điều 45 khoản 1 điểm a"},
        {"level": 2, "alarm": 2, "clause": "Điều 45 khoản 2 điểm b"}])
    assert [b.level for b in own.risk_boundaries] == [1, 2]
