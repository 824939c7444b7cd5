"""The status bar's line on the service: a reading or two in flight at a health report is
normal and reads "up" in green; a real backlog says how many readings wait, in amber."""

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
