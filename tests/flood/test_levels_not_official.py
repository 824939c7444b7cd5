"""A station whose alarm levels the commune set itself: its risk level is an estimate and every
screen and bulletin says so; "mức báo động" stays the state's word for official levels."""

from __future__ import annotations

from datetime import datetime, timezone

from controlroom.bus import EventBus
from controlroom.domain import Reading
from controlroom.flood.monitor import FloodRiskMonitor
from controlroom.flood.text import alarm_phrase, bulletin_text
from controlroom.live_state import LiveState
from controlroom.widgets.risk_banner import RiskBanner

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)


def _gauge(config):
    return next(s for s in config.sensors if s.kind == "water_level" and s.alarm_levels is not None)


def test_bulletin_words_follow_the_levels_provenance(demo_config, second_config):
    lagoon, river = _gauge(second_config), _gauge(demo_config)
    assert not lagoon.alarm_levels.official and river.alarm_levels.official
    assert alarm_phrase(1.5, 2, lagoon.alarm_levels) == "trên mức cảnh báo II của xã 0,10 mét"
    assert alarm_phrase(3.2, 2, river.alarm_levels).startswith("trên mức báo động II")

    def text(config, gauge, height, level):
        return bulletin_text(config, station_name=gauge.name, height_m=height, alarm_level=level,
                             alarm=gauge.alarm_levels, trend_cm_h=12.0, risk_level=3, village_names=["Cù Lác"],
                             issued=NOW)

    assert "cấp 3 (ước tính theo mức cảnh báo của xã" in text(second_config, lagoon, 1.5, 2)
    assert "ước tính" not in text(demo_config, river, 3.2, 2)


def test_the_banner_calls_a_level_from_the_communes_own_marks_an_estimate(second_config, qtbot):
    bus = EventBus()
    live = LiveState(bus)
    monitor = FloodRiskMonitor(second_config, bus, live, clock=lambda: NOW)
    lagoon = _gauge(second_config)
    bus.publish(Reading(lagoon.id, "level", NOW, 1.5))  # past its level II (1.4)
    zone = second_config.flood.bulletin_zone
    risk = monitor.zone(zone)
    assert risk is not None and risk.level > 0 and not risk.official
    banner = RiskBanner()
    qtbot.addWidget(banner)
    banner.show_zone(monitor, zone)
    assert "ước tính theo mức cảnh báo của xã" in banner.title.text()
    assert lagoon.alarm_levels.source in banner.source.text()
    assert "không chính thức" in banner.source.text()


def test_below_the_communes_marks_is_not_called_below_alarm_level_one(second_config, qtbot, second_commune_duty_panel):
    """A lagoon gauge at a calm level: the banner and the duty panel's station line speak of the
    commune's mark, never of an alarm level the gauge does not have."""
    bus = EventBus()
    live = LiveState(bus)
    monitor = FloodRiskMonitor(second_config, bus, live, clock=lambda: NOW)
    lagoon = _gauge(second_config)
    bus.publish(Reading(lagoon.id, "level", NOW, 0.2))
    banner = RiskBanner()
    qtbot.addWidget(banner)
    banner.show_zone(monitor, second_config.flood.bulletin_zone)
    assert banner.title.text() == "Rủi ro lũ: chưa đến cấp (dưới mốc I của xã)"

    core, panel = second_commune_duty_panel
    core.bus.publish(Reading(lagoon.id, "level", datetime.now(timezone.utc), 0.2))
    qtbot.waitUntil(lambda: lagoon.name in panel.stations.text(), timeout=10_000)
    line = next(x for x in panel.stations.text().splitlines() if x.startswith(lagoon.name))
    assert "dưới mốc I của xã" in line and "báo động" not in line
