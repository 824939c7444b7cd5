"""Rules from config to detectors: deadband, on/off delays, rate of rise, alarm levels, errors at load."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from controlroom.alerts.conditions import BandTracker
from controlroom.alerts.model import Priority
from controlroom.alerts.rules import compile_rules
from controlroom.config import ConfigError, parse_config

T0 = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def feed(detector, samples):
    found = []
    for seconds, value in samples:
        cond = detector.feed(at(seconds), value)
        if cond is not None:
            found.append(cond)
    return found


def test_value_hovering_at_the_limit_gives_one_activation_with_a_deadband():
    tracker = BandTracker((3.0,), 0.2, True, 0, 0)
    bands = [tracker.update(at(i), v) for i, v in enumerate([2.5, 3.01, 2.95, 3.02, 2.9, 3.05, 2.81, 2.79])]
    assert [b for b in bands if b is not None] == [0, 1, 0]


def test_on_delay_ignores_a_short_excursion_and_tick_confirms_a_lasting_one():
    tracker = BandTracker((3.0,), 0.0, True, 30, 0)
    assert tracker.update(at(0), 2.0) == 0
    assert tracker.update(at(1), 3.5) is None
    assert tracker.update(at(10), 2.0) is None  # back before the on-delay: nothing
    assert tracker.update(at(20), 3.5) is None
    assert tracker.tick(at(49)) is None
    assert tracker.tick(at(50)) == 1


def test_threshold_rules_from_metric_config_and_from_alert_rules(site_config):
    rules = compile_rules(site_config, T0)
    do = {d.condition: d for d in rules.by_metric[("pond", "do")]}
    assert set(do) == {"low"}
    found = feed(do["low"], [(0, 6.0), (60, 3.9), (120, 2.9), (180, 3.2), (240, 4.5)])
    assert [(c.active, c.band, c.priority) for c in found] == [
        (False, 0, Priority.HIGH), (True, 1, Priority.HIGH), (True, 2, Priority.CRITICAL), (False, 0, Priority.HIGH)]
    ph = rules.by_metric[("pond", "ph")][0]
    assert [c.active for c in feed(ph, [(0, 7.0), (1, 8.6), (2, 8.45), (3, 8.6), (4, 8.2)])] == [False, True, False]


def test_flood_alarm_levels_escalate_one_alert_per_station(site_config):
    rules = compile_rules(site_config, T0)
    levels = next(d for d in rules.by_metric[("wl1", "level")] if d.condition == "alarm_level")
    found = feed(levels, [(0, 1.0), (60, 1.6), (120, 3.1), (180, 4.6), (240, 2.0), (300, 1.0)])
    assert [(c.band, c.priority.key) for c in found] == [(0, "medium"), (1, "medium"), (2, "high"), (3, "critical"), (1, "medium"), (0, "medium")]
    assert len({c.alert_id for c in found}) == 1


def test_rate_of_rise_needs_half_a_window_then_raises_and_clears(site_config):
    rules = compile_rules(site_config, T0)
    rise = next(d for d in rules.by_metric[("wl1", "level")] if d.condition == "rate_of_rise")
    steady = [(i * 60, 1.0) for i in range(20)]
    rising = [(1200 + i * 60, 1.0 + 0.01 * i) for i in range(1, 40)]  # 0.6 m/h
    found = feed(rise, steady + rising)
    assert [c.active for c in found][-1] is True
    flat = [(1200 + 40 * 60 + i * 60, 1.39) for i in range(40)]
    assert feed(rise, flat)[-1].active is False


def test_stale_rule_raises_after_the_silence_and_clears_on_data(site_config):
    rules = compile_rules(site_config, T0)
    stale = rules.stale["wl1"]  # 5 x 60 s
    assert stale.tick(at(200)) .active is False
    assert stale.tick(at(301)).active is True
    assert stale.seen(at(302)).active is False


def test_broken_rules_are_reported_with_their_key_at_load(site_text):
    broken = site_text + """
[[alerts.rules]]
id = "bad"
kind = "threshold"
sensors = ["nope"]
metric = "level"
high = 2.0
high_high = 1.0

[[alerts.rules]]
id = "bad2"
kind = "rate_of_rise"
sensors = ["wl1"]
metric = "level"
per_hour = "fast"

[[alerts.rules]]
id = "bad3"
kind = "teleport"
"""
    with pytest.raises(ConfigError) as info:
        parse_config(broken, "site.toml")
    text = "\n".join(info.value.messages)
    assert "alerts.rules[3]" in text and "alerts.rules[4]" in text and "alerts.rules[5]" in text
    assert "site.toml" in text


def test_rule_naming_an_unknown_sensor_is_reported(site_text):
    broken = site_text + """
[[alerts.rules]]
id = "ghost"
kind = "rate_of_rise"
sensors = ["ghost"]
metric = "level"
per_hour = 1
"""
    with pytest.raises(ConfigError) as info:
        parse_config(broken, "site.toml")
    assert any("alerts.rules[3].sensors[0]" in m and "ghost" in m for m in info.value.messages)


def test_demo_commune_rules_compile(demo_config):
    rules = compile_rules(demo_config, T0, aqi_factory=lambda sensor_id: (lambda now: None))
    assert ("wl_phu_oc", "level") in rules.by_metric and rules.aqi and rules.report_rule is not None
