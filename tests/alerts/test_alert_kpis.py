"""Alarm-rate KPIs: flood mode on above 10 in 10 min, off with hysteresis; chatter per ISA-18.2."""

from __future__ import annotations

from controlroom.alerts.kpis import FloodMonitor


def test_flood_starts_above_the_limit_and_ends_when_the_rate_falls_to_half():
    monitor = FloodMonitor(10, 600, 3, 60, now=0.0)
    for i in range(10):
        monitor.annunciated(f"a{i}", float(i))
    assert not monitor.update(10.0)
    monitor.annunciated("a10", 11.0)
    assert monitor.update(11.0)
    assert monitor.update(300.0)  # still 11 in the window
    assert not monitor.update(700.0)  # all aged out
    kpis = monitor.kpis(700.0)
    assert kpis.floods == 1 and not kpis.flood and 600 < kpis.time_in_flood_s < 700


def test_three_new_episodes_in_a_minute_is_chatter_but_an_escalation_is_not():
    monitor = FloodMonitor(10, 600, 3, 60, now=0.0)
    monitor.annunciated("level", 1.0)
    monitor.annunciated("level", 2.0, new_episode=False)
    monitor.annunciated("level", 3.0, new_episode=False)
    assert monitor.kpis(4.0).chattering == 0
    for t in (10.0, 20.0, 30.0):
        monitor.annunciated("pump", t)
    assert monitor.kpis(31.0).chattering == 1
