"""The duty panel after a restart or while a gauge is silent: the last level it has is history,
shown with its time, never as the water now nor as a risk level."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from controlroom.domain import Reading


def test_an_old_level_is_dated_and_sets_no_risk_level(second_config, second_commune_duty_panel, qtbot):
    """A gauge whose last reading is two hours old said "0,23 m, dưới mốc I của xã → rủi ro cấp
    0" under a banner saying no water level had come: as if the lagoon were calm now."""
    core, panel = second_commune_duty_panel
    gauge = next(s for s in second_config.sensors if s.kind == "water_level" and s.alarm_levels is not None)
    old = datetime.now(timezone.utc) - timedelta(hours=2)
    core.bus.publish(Reading(gauge.id, "level", old, 0.23))
    qtbot.waitUntil(lambda: gauge.name in panel.stations.text(), timeout=10_000)
    line = next(x for x in panel.stations.text().splitlines() if x.startswith(gauge.name))
    stamp = old.astimezone(second_config.site.tz).strftime("%H:%M %d/%m")
    assert line == f"{gauge.name}: 0,23 m lúc {stamp}, số liệu cũ: không tính cấp rủi ro"
    assert panel.banner.title.text() == "Rủi ro lũ: chưa xác định"

    core.bus.publish(Reading(gauge.id, "level", datetime.now(timezone.utc), 0.25))  # live again
    qtbot.waitUntil(lambda: "0,25 m" in panel.stations.text(), timeout=10_000)
    line = next(x for x in panel.stations.text().splitlines() if x.startswith(gauge.name))
    assert "số liệu cũ" not in line and "rủi ro cấp 0" in line


def test_a_level_held_from_a_reading_gone_old_says_it_is_held(second_config, second_commune_duty_panel, flood_clock, qtbot):
    """The line said "số liệu cũ: không tính cấp rủi ro" under a banner holding level 3 set by
    that very reading: silence lowers no level, and the line says the level is held."""
    core, panel = second_commune_duty_panel
    gauge = next(s for s in second_config.sensors if s.kind == "water_level" and s.alarm_levels is not None)
    measured = datetime.now(timezone.utc)
    flood_clock.set(measured)
    core.bus.publish(Reading(gauge.id, "level", measured, gauge.alarm_levels.level_3 + 0.1))
    qtbot.waitUntil(lambda: "2,00 m" in panel.stations.text(), timeout=10_000)
    level = core.flood.monitor.zone(second_config.flood.bulletin_zone).level
    assert level > 0

    flood_clock.set(measured + timedelta(hours=1))  # nothing new since
    stamp = measured.astimezone(second_config.site.tz).strftime("%H:%M %d/%m")
    expected = f"{gauge.name}: 2,00 m lúc {stamp}, số liệu cũ: giữ rủi ro cấp {level} đến khi có số đo mới"
    qtbot.waitUntil(lambda: expected in panel.stations.text().splitlines(), timeout=10_000)


def test_level_zero_from_a_reading_gone_old_is_not_known(second_config, second_commune_duty_panel, flood_clock, qtbot):
    """Below every level when the gauge fell silent: an hour on, the banner still said "chưa đến
    cấp" and the bulletin "cấp 0", from a reading an hour old."""
    core, panel = second_commune_duty_panel
    gauge = next(s for s in second_config.sensors if s.kind == "water_level" and s.alarm_levels is not None)
    measured = datetime.now(timezone.utc)
    flood_clock.set(measured)
    core.bus.publish(Reading(gauge.id, "level", measured, 0.5))
    qtbot.waitUntil(lambda: panel.banner.title.text().startswith("Rủi ro lũ: chưa đến cấp"), timeout=10_000)

    flood_clock.set(measured + timedelta(hours=1))
    qtbot.waitUntil(lambda: panel.banner.title.text() == "Rủi ro lũ: chưa xác định", timeout=10_000)
    assert "cấp chưa xác định (chưa có số đo mực nước mới)" in core.flood.bulletins.compose().text
