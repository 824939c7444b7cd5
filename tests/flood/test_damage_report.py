"""Quick damage report: village entries sum to the commune, the PDF and XLSX carry the same
figures, and the deadlines follow TTLT 43/2015 (24 h, then daily before 17:00)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from controlroom.bus import EventBus
from controlroom.flood.damage_indicators import BY_CODE
from controlroom.flood.damage_report import DamageReportError, DamageReports, report_deadlines
from controlroom.reports.damage_xlsx import read_totals, write_damage_xlsx
from controlroom.access.operators import Operator, Role
from controlroom.storage.db import create_engine_for, migrate
from controlroom.storage.writer import StorageWriter

OFFICER = Operator("an", "Nguyễn Văn An", Role.DUTY_OFFICER)
START = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)  # 10:00 local

ENTRIES = {
    "la_van_ha": {"evacuated_people": 120, "houses_flooded": 45, "flood_depth_m": 1.2, "rice_ha": 12.5},
    "la_van_thuong": {"evacuated_people": 80, "houses_flooded": 30, "flood_depth_m": 0.9, "poultry_dead": 400},
    "phuoc_yen": {"evacuated_people": 35.0, "houses_flooded": "12", "flood_depth_m": 1.6, "injured": 1},
}


@pytest.fixture
def reports(demo_config, tmp_path):
    engine = create_engine_for(f"sqlite:///{tmp_path}/dmg.db")
    migrate(engine)
    storage = StorageWriter(engine, EventBus(), site_id=demo_config.site.id, database=demo_config.database)
    storage.start()
    yield DamageReports(demo_config, engine, storage)
    storage.stop()


def test_village_entries_sum_and_land_in_pdf_and_xlsx_with_the_same_figures(reports, tmp_path, qapp):
    event = reports.open_event(OFFICER, "Lũ, ngập lụt", START, extent="4 thôn vùng trũng", isolated="Phước Yên")
    for village, figures in ENTRIES.items():
        reports.set_village(OFFICER, event, village, figures)
    reports.set_village(OFFICER, event, "la_van_thuong", {**ENTRIES["la_van_thuong"], "evacuated_people": 95})
    report = reports.report(event, now=START + timedelta(hours=5))
    assert report.number == 1
    assert report.totals["evacuated_people"] == 120 + 95 + 35
    assert report.totals["houses_flooded"] == 45 + 30 + 12
    assert report.totals["flood_depth_m"] == 1.6  # depth: the deepest, not a sum
    assert report.totals["rice_ha"] == 12.5 and report.totals["poultry_dead"] == 400
    assert report.unit_name == "xã Quảng Điền" and "huyện" not in report.province

    xlsx = write_damage_xlsx(report, tmp_path / "bcn.xlsx")
    back = read_totals(xlsx)
    for code, total in report.totals.items():
        assert back[BY_CODE[code].label] == pytest.approx(total)

    from PyQt6.QtPdf import QPdfDocument
    from controlroom.ui.reports.damage_pdf import write_damage_pdf
    pdf = write_damage_pdf(report, tmp_path / "bcn.pdf")
    document = QPdfDocument(None)
    assert document.load(str(pdf)) == QPdfDocument.Error.None_
    text = " ".join(document.getAllText(p).text() for p in range(document.pageCount()))
    flat = " ".join(text.split()).replace("\u202f", " ")
    assert "BÁO CÁO NHANH SỐ 1" in flat and "xã Quảng Điền".upper() in flat.upper()
    assert "Số người phải sơ tán" in flat and "250" in flat and "1,6" in flat and "12,5" in flat


def test_bad_figures_are_refused_with_the_indicator_named(reports):
    event = reports.open_event(OFFICER, "Lũ", START)
    with pytest.raises(DamageReportError, match="Số người phải sơ tán"):
        reports.set_village(OFFICER, event, "la_van_ha", {"evacuated_people": "nhiều"})
    with pytest.raises(DamageReportError):
        reports.set_village(OFFICER, event, "la_van_ha", {"dead": -1})
    with pytest.raises(DamageReportError):
        reports.set_village(OFFICER, event, "nowhere", {"dead": 1})


def test_deadlines_first_within_24_hours_then_daily_at_17(demo_config, reports):
    tz = demo_config.site.tz
    assert report_deadlines(START, START + timedelta(hours=1), tz) == (START + timedelta(hours=24), 1)
    due, number = report_deadlines(START, START + timedelta(hours=25), tz)  # 11:00 local next day
    assert number == 2 and due.astimezone(tz).strftime("%d %H:%M") == "21 17:00"
    due, number = report_deadlines(START, START + timedelta(hours=50), tz)
    assert number == 3 and due.astimezone(tz).strftime("%d %H:%M") == "22 17:00"
    reports.open_event(OFFICER, "Lũ", START)
    assert reports.reminder(START + timedelta(hours=23, minutes=30))[0][2] == 1
    assert reports.reminder(START + timedelta(hours=2)) == []
