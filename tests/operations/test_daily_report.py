"""The daily report from real rows: alert counts by kind and village, broadcast delivery
rates, sensor min/max/average from the hourly rollups, camera uptime from status history;
written as XLSX (numbers stay numbers) and PDF; the dialog builds off the GUI thread."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from controlroom.reports.daily import build_report, day_bounds
from controlroom.reports.daily_xlsx import write_xlsx
from controlroom.reports.shift_log import ShiftLog
from controlroom.access.operators import Operator, Role, operator_row
from controlroom.storage.models import (alerts, broadcast_deliveries, broadcasts, device_status_history, operators, rollup_hour,
                                        to_ms)

DAY = date(2026, 11, 20)


@pytest.fixture
def day_rows(engine, demo_config):
    site = demo_config.site.id
    start, _end = day_bounds(DAY, ZoneInfo(demo_config.site.timezone))
    with engine.begin() as conn:
        for i, (kind, village) in enumerate([("alarm_level", "la_van_ha"), ("alarm_level", "la_van_ha"),
                                             ("camera_offline", "luong_co"), ("citizen_report", None)]):
            ts = start + timedelta(hours=i + 1)
            conn.execute(alerts.insert().values(site_id=site, id=f"a{i}", rule=kind, state="normal", raised_at=ts,
                                                updated_at=ts, detail={"kind": kind, "village": village}))
        before = start - timedelta(minutes=5)  # the previous local day: not counted
        conn.execute(alerts.insert().values(site_id=site, id="old", rule="manual", state="normal", raised_at=before,
                                            updated_at=before, detail={"kind": "manual"}))
        ts = start + timedelta(hours=7)
        conn.execute(operators.insert().values(**operator_row(site, "trucban", "Trực ban Demo", Role.DUTY_OFFICER,
                                                             "mat-khau-dai-du")))
        conn.execute(broadcasts.insert().values(site_id=site, id="b1", created_at=ts, operator="trucban", kind="tts",
                                                title="Cảnh báo lũ", priority=3, state="finished"))
        for speaker, result in (("s1", "played"), ("s2", "played"), ("s3", "offline"), ("s4", "started")):
            conn.execute(broadcast_deliveries.insert().values(site_id=site, broadcast_id="b1", speaker_id=speaker,
                                                              result=result, updated_at=ts))
        for hour, (low, high, total, count) in enumerate([(1.0, 2.0, 90.0, 60), (1.5, 3.5, 150.0, 60)]):
            conn.execute(rollup_hour.insert().values(site_id=site, sensor_id="wl_phu_oc", metric="level",
                                                     bucket_ms=to_ms(start + timedelta(hours=hour)), min=low, max=high,
                                                     sum=total, count=count))
        camera = demo_config.cameras[0].id
        conn.execute(device_status_history.insert().values(site_id=site, device_id=camera, ts=start - timedelta(days=1),
                                                           online=True))
        conn.execute(device_status_history.insert().values(site_id=site, device_id=camera, ts=start + timedelta(hours=6),
                                                           online=False))
        conn.execute(device_status_history.insert().values(site_id=site, device_id=camera, ts=start + timedelta(hours=12),
                                                           online=True))
    return camera


def test_report_counts_rates_stats_and_uptime(engine, demo_config, day_rows):
    steps = []
    report = build_report(engine, demo_config, DAY, progress=lambda p, s: steps.append(p))
    assert steps[-1] == 100 and steps == sorted(steps)
    assert report.alerts_total == 4
    assert report.alerts_by_kind == {"alarm_level": 2, "camera_offline": 1, "citizen_report": 1}
    assert report.alerts_by_village["La Vân Hạ"] == 2 and report.alerts_by_village["—"] == 1
    assert len(report.broadcasts) == 1 and report.broadcasts[0].rate == pytest.approx(0.75)
    assert report.broadcasts[0].operator == "Trực ban Demo"  # the account's name, not "trucban"
    level = next(s for s in report.sensors if s.sensor_id == "wl_phu_oc")
    assert (level.minimum, level.maximum, level.average, level.count) == (1.0, 3.5, pytest.approx(2.0), 120)
    camera = next(c for c in report.cameras if c.camera_id == day_rows)
    assert camera.known_s == pytest.approx(24 * 3600) and camera.ratio == pytest.approx(0.75)
    assert report.unit_name and "huyện" not in (report.unit_name + report.province).lower()


def test_xlsx_keeps_numbers_as_numbers(engine, demo_config, day_rows, tmp_path):
    report = build_report(engine, demo_config, DAY)
    path = write_xlsx(report, tmp_path / "r.xlsx")
    book = load_workbook(path)
    assert len(book.sheetnames) == 6
    summary = {row[0]: row[1] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert 4 in summary.values() and 75.0 in summary.values()
    sensors = list(book.worksheets[4].iter_rows(min_row=2, values_only=True))
    assert any(r[3] == 1.0 and r[4] == 3.5 for r in sensors)


def test_the_pdfs_numbers_line_up_in_their_columns(engine, demo_config, day_rows):
    from controlroom import i18n
    from controlroom.ui.reports.daily_pdf import report_html

    report = build_report(engine, demo_config, DAY)
    html = report_html(report)  # the tests' language: Vietnamese
    assert i18n.language() == "vi"
    assert ">1,00<" in html and ">3,50<" in html and ">2,00<" in html  # not "1", "3,5", "2"
    assert ">24,00<" in html  # the camera's hours known


def test_report_dialog_builds_pdf_and_xlsx_off_the_gui_thread(qtbot, engine, demo_config, day_rows, tmp_path):
    from PyQt6.QtCore import QDate

    from controlroom.ui.reports.report_dialog import ReportDialog

    dialog = ReportDialog(engine, demo_config, folder=tmp_path / "out")
    qtbot.addWidget(dialog)
    dialog.day.setDate(QDate(DAY.year, DAY.month, DAY.day))
    values = []
    dialog.progress.valueChanged.connect(values.append)
    dialog.build()
    qtbot.waitUntil(lambda: len(dialog.files) == 2, timeout=60_000)
    pdf, xlsx = dialog.files
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 5_000
    assert xlsx.suffix == ".xlsx" and values[-1] == 100 and len(values) >= 4


def test_shift_log_gathers_notes_alerts_broadcasts_and_outages(engine, writer, demo_config, day_rows):
    log = ShiftLog(engine, writer, demo_config.site.id)
    operator = Operator("trucban", "Trực ban", Role.DUTY_OFFICER)
    start, end = day_bounds(DAY, ZoneInfo(demo_config.site.timezone))
    log.add(operator, "Nước sông Bồ lên nhanh, đã báo thôn La Vân Hạ.", "handover").result(timeout=30)
    with pytest.raises(ValueError):
        log.add(operator, "   ")
    summary = log.summary(start, end)
    assert len(summary.alerts) == 4 and len(summary.broadcasts) == 1 and len(summary.outages) == 1
    now = log.summary(datetime.now(timezone.utc) - timedelta(minutes=5))
    assert [n["kind"] for n in now.notes] == ["handover"] and "sông Bồ" in now.notes[0]["text"]


def test_the_shift_summary_speaks_the_operators_words(engine, writer, second_config):
    """Alert states in the UI language, devices and operators by name: the handover read
    "(unacknowledged)" in Vietnamese, listed outages as "vh_ben_thuyen" and notes by "truc"."""
    from controlroom.ui.reports.shift_dialog import summary_html

    site, camera, sensor = second_config.site.id, second_config.cameras[0], second_config.sensors[0]
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        conn.execute(alerts.insert().values(site_id=site, id="x1", rule="camera_offline", state="unacknowledged",
                                            raised_at=now, updated_at=now, title="Camera mất tín hiệu",
                                            detail={"kind": "camera_offline"}))
        for device in (camera.id, sensor.status_device_id):
            conn.execute(device_status_history.insert().values(site_id=site, device_id=device, ts=now, online=False))
        conn.execute(operators.insert().values(**operator_row(site, "truc", "Lê Văn Trực", Role.DUTY_OFFICER,
                                                             "mat-khau-dai-du")))
    log = ShiftLog(engine, writer, site)
    log.add(Operator("truc", "Lê Văn Trực", Role.DUTY_OFFICER), "Nước đầm lên, đã báo thôn.").result(timeout=30)
    summary = log.summary(now - timedelta(minutes=1))
    html = summary_html(summary, ZoneInfo(second_config.site.timezone), second_config.device_names())
    assert "· Lê Văn Trực ·" in html  # the next shift knows a name, not an account
    assert "(Chưa xác nhận)" in html and "unacknowledged" not in html
    assert camera.name in html and sensor.name in html
    assert f"· {camera.id}<" not in html and f"· {sensor.status_device_id}<" not in html
