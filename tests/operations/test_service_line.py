"""The status bar: a reading or two in flight at the service's health report is normal and
reads "up" in green; a real backlog says how many readings wait, in amber; a console closed
for the night is not counted as a device offline."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from controlroom.service.watch import ServiceStatus
from controlroom.ui.shell.status_bar import BACKLOG_WARN, service_line

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _online(backlog: int) -> tuple[ServiceStatus, datetime]:
    now = datetime.now(timezone.utc)
    health = {"state": "up", "since": (now - timedelta(hours=1)).isoformat(), "ts": now.isoformat(),
              "database": "ok", "ingest_backlog": backlog}
    return ServiceStatus("online", now, health), now


def test_a_reading_in_flight_is_not_a_warning():
    text, level = service_line(*_online(1), TZ)
    assert level == "ok" and text.startswith("Dịch vụ: chạy từ") and "chờ" not in text


def test_a_real_backlog_is_said_in_amber():
    text, level = service_line(*_online(BACKLOG_WARN * 30), TZ)
    assert level == "warn" and f"{BACKLOG_WARN * 30} số liệu đang chờ" in text


def test_a_dead_service_is_red():
    text, level = service_line(ServiceStatus("offline", datetime.now(timezone.utc)), datetime.now(timezone.utc), TZ)
    assert level == "error" and "NGỪNG" in text


def test_a_console_closed_for_the_night_is_not_a_device_offline(make_core, second_config):
    from controlroom.domain import DeviceStatus
    from controlroom.ui.shell.status_bar import read_core_stats

    from ..conftest import wait_until

    core = make_core(second_config)
    now = datetime.now(timezone.utc)
    core.bus.publish(DeviceStatus(f"controlroom-{second_config.site.id}-may-tram-2", False, now))
    wait_until(lambda: len(core.live.devices()) == 1)
    assert read_core_stats(core).devices_offline == 0
    core.bus.publish(DeviceStatus(second_config.sensors[0].status_device_id, False, now))
    wait_until(lambda: len(core.live.devices()) == 2)
    assert read_core_stats(core).devices_offline == 1
