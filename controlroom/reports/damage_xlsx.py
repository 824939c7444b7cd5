"""The quick damage report as XLSX (openpyxl): the commune's header, the event, and the damage
table per village with the commune total. Numbers stay numbers (the receiver sums them)."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from controlroom.flood.damage_indicators import GROUPS
from controlroom.flood.damage_report import QuickReport, indicator_rows

TABLE_SHEET = "Thiệt hại"
FIRST_DATA_ROW_KEY = "Chỉ tiêu"


def report_heading(report: QuickReport) -> str:
    return f"BÁO CÁO NHANH SỐ {report.number}"


def report_subject(report: QuickReport) -> str:
    return f"Tình hình thiên tai và thiệt hại do {report.event.hazard.lower()} tại {report.unit_name}"


def local(ts, report: QuickReport) -> str:
    return ts.astimezone(report.tz).strftime("%H:%M ngày %d/%m/%Y") if ts else "—"


def situation_lines(report: QuickReport) -> list[tuple[str, str]]:
    d = report.event.detail
    return [
        ("Loại thiên tai", report.event.hazard),
        ("Thời gian bắt đầu", local(report.event.started_at, report)),
        ("Thời gian kết thúc", local(report.event.ended_at, report) if report.event.ended_at else "đang diễn ra"),
        ("Phạm vi ảnh hưởng", d.get("extent", "") or "—"),
        ("Khu vực bị chia cắt, cô lập", d.get("isolated", "") or "—"),
        ("Số liệu tính đến", local(report.made_at, report)),
    ]


def write_damage_xlsx(report: QuickReport, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    ws = wb.active
    ws.title = TABLE_SHEET
    bold = Font(bold=True)
    thin = Side(style="thin", color="999999")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    n_cols = 4 + len(report.villages)
    ws.cell(1, 1, f"UBND {report.unit_name.upper()}").font = bold
    ws.cell(2, 1, report.province)
    ws.cell(1, n_cols - 2, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM").font = bold
    ws.cell(2, n_cols - 2, "Độc lập - Tự do - Hạnh phúc")
    ws.cell(4, 1, report_heading(report)).font = Font(bold=True, size=14)
    ws.cell(5, 1, report_subject(report)).font = bold
    ws.cell(6, 1, "Kính gửi: " + ("; ".join(report.recipients) or "—"))
    row = 8
    for label, value in situation_lines(report):
        ws.cell(row, 1, label).font = bold
        ws.cell(row, 3, value)
        row += 1
    if report.former_units:
        ws.cell(row, 1, "Địa bàn (các đơn vị cũ)").font = bold
        ws.cell(row, 3, ", ".join(report.former_units))
        row += 1
    row += 1
    headers = ["Nhóm", FIRST_DATA_ROW_KEY, "Đơn vị"] + [name for _, name in report.villages] + ["Tổng cộng xã"]
    fill = PatternFill("solid", fgColor="1F3A5F")
    for col, text in enumerate(headers, 1):
        cell = ws.cell(row, col, text)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.border = box
    header_row = row
    for group, label, unit, values, total in indicator_rows(report):
        row += 1
        ws.cell(row, 1, GROUPS[group])
        ws.cell(row, 2, label)
        ws.cell(row, 3, unit)
        for i, value in enumerate(values):
            ws.cell(row, 4 + i, value).number_format = "#,##0.##"
        total_cell = ws.cell(row, 4 + len(values), total)
        total_cell.number_format = "#,##0.##"
        total_cell.font = bold
        for col in range(1, n_cols + 1):
            ws.cell(row, col).border = box
    row += 2
    ws.cell(row, 1, "Căn cứ: " + report.source).font = Font(italic=True, size=9)
    ws.cell(row + 1, 1, "Số liệu cộng dồn từ khi bắt đầu đợt thiên tai.").font = Font(italic=True, size=9)
    if report.issuer:
        ws.cell(row + 3, n_cols - 2, report.issuer).font = bold
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 40
    ws.column_dimensions["C"].width = 9
    for col in range(4, n_cols + 1):
        ws.column_dimensions[get_column_letter(col)].width = 13
    ws.freeze_panes = ws.cell(header_row + 1, 4)
    ws.sheet_properties.tabColor = "1F3A5F"
    wb.properties.title = report_heading(report) + " — " + report_subject(report)
    wb.save(path)
    return path


def read_totals(path: Path) -> dict[str, float]:
    """Label -> commune total, read back from a written file (tests, and a receiver's check)."""
    from openpyxl import load_workbook
    ws = load_workbook(path, data_only=True)[TABLE_SHEET]
    rows = list(ws.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if len(r) > 1 and r[1] == FIRST_DATA_ROW_KEY)
    width = rows[start].index("Tổng cộng xã")
    result = {}
    for r in rows[start + 1:]:
        if r[1] is None:
            break
        result[r[1]] = float(r[width] or 0)
    return result
