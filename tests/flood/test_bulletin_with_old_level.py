"""The pre-filled flood bulletin (F8, and the service's compose for attached consoles) when the
gauge that sets the zone's level has sent nothing new: the loudspeakers must not give an old
reading as the water now, nor a risk level no live reading set."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from PyQt6.QtWidgets import QLabel

from controlroom.domain import Reading
from controlroom.flood.text import vn_time
from controlroom.ui.flood.duty_panel import ComposeDialog

from tests.conftest import wait_until


def _gauge(config):
    return next(s for s in config.sensors if s.kind == "water_level" and s.alarm_levels is not None)


def test_an_old_level_is_quoted_with_its_time_and_sets_no_risk_level(second_config, make_core, qtbot):
    """After a restart the lagoon gauge's last reading was two hours old: the draft said "Mực nước
    Đầm Cầu Hai tại Cù Lác là 0,23 mét, dưới mức cảnh báo I của xã 0,67 mét, ít thay đổi. … cấp 0"."""
    core = make_core(second_config)
    gauge = _gauge(second_config)
    old = datetime.now(timezone.utc) - timedelta(hours=2)
    core.bus.publish(Reading(gauge.id, "level", old - timedelta(minutes=30), 0.22))
    core.bus.publish(Reading(gauge.id, "level", old, 0.23))
    monitor = core.flood.monitor
    wait_until(lambda: monitor.station(gauge.id).height_m == 0.23, timeout=10, message="the old level reached the monitor")

    draft = core.flood.bulletins.compose()
    text = draft.text
    assert f"là 0,23 mét, theo số đo cũ lúc {vn_time(old, second_config)}, trạm chưa gửi số đo mới," in text
    assert "dưới mức cảnh báo" not in text and "ít thay đổi" not in text  # where it stands and its trend: unknown now
    assert "cấp chưa xác định (chưa có số đo mực nước mới)" in text and "cấp 0" not in text
    dialog = ComposeDialog(draft, {v.id: v.name for v in second_config.villages})  # what F8 opens
    qtbot.addWidget(dialog)
    assert dialog.findChildren(QLabel)[0].text().startswith("Cấp rủi ro chưa xác định · ")

    now = datetime.now(timezone.utc)
    core.bus.publish(Reading(gauge.id, "level", now, 0.25))  # the gauge is back
    wait_until(lambda: monitor.station(gauge.id).height_m == 0.25, timeout=10, message="the live level reached the monitor")
    text = core.flood.bulletins.compose().text
    assert "là 0,25 mét, dưới mức cảnh báo I của xã 0,65 mét," in text and "số đo cũ" not in text
    assert "cấp 0." in text


def test_a_level_held_from_a_reading_gone_old_says_when_it_was_measured(second_config, make_core, flood_clock):
    """A gauge that fell silent after setting a risk level keeps the zone at that level (silence
    lowers no level), and the bulletin says which reading set it."""
    core = make_core(second_config, clock=flood_clock)  # the core's clock: the gauge falls silent
    gauge = _gauge(second_config)
    monitor, zone = core.flood.monitor, second_config.flood.bulletin_zone
    measured = datetime.now(timezone.utc)
    flood_clock.set(measured)
    core.bus.publish(Reading(gauge.id, "level", measured, gauge.alarm_levels.level_3 + 0.1))
    wait_until(lambda: monitor.zone(zone) is not None and monitor.zone(zone).level > 0, timeout=10,
               message="a risk level from the gauge")
    level = monitor.zone(zone).level
    assert f"cấp {level} (ước tính" in core.flood.bulletins.compose().text

    flood_clock.set(measured + timedelta(hours=3))  # nothing new since
    text = core.flood.bulletins.compose().text
    assert f"là 2,00 mét, theo số đo cũ lúc {vn_time(measured, second_config)}, trạm chưa gửi số đo mới," in text
    assert f"cấp {level} theo số đo lúc {vn_time(measured, second_config)} (ước tính" in text


def test_the_banner_says_when_the_reading_that_holds_its_level_was_taken(second_config, make_core, flood_clock, qtbot):
    """The banner kept "Đầm Cầu Hai tại Cù Lác: 2,00 m (theo số đo)" hours after the gauge fell
    silent, as if measured now; the bulletin it stands beside dates the same reading."""
    from controlroom.widgets.risk_banner import RiskBanner

    core = make_core(second_config, clock=flood_clock)
    gauge = _gauge(second_config)
    monitor, zone = core.flood.monitor, second_config.flood.bulletin_zone
    measured = datetime.now(timezone.utc)
    flood_clock.set(measured)
    core.bus.publish(Reading(gauge.id, "level", measured, 2.0))
    wait_until(lambda: monitor.zone(zone) is not None and monitor.zone(zone).level > 0, timeout=10,
               message="a risk level from the gauge")
    banner = RiskBanner()
    qtbot.addWidget(banner)
    banner.show_zone(monitor, zone)
    assert banner.detail.text() == f"{gauge.name}: 2,00 m (theo số đo)"

    flood_clock.set(measured + timedelta(hours=3))
    banner.show_zone(monitor, zone)
    stamp = measured.astimezone(second_config.site.tz).strftime("%H:%M %d/%m")
    assert banner.detail.text() == f"{gauge.name}: 2,00 m (đo lúc {stamp}, chưa có số đo mới hơn)"
    assert banner.level == monitor.zone(zone).level  # the level itself is held
