"""The daily report as an XLSX workbook (openpyxl): one sheet per section, numbers as
numbers (so the province can sum and chart them), headers in the UI language."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from controlroom.alerts.model import kind_label
from controlroom.reports.daily import DailyReport
from controlroom.i18n import tr

HEADER_FILL = PatternFill("solid", fgColor="1F3A5F")
HEADER_FONT = Font(bold=True, color="FFFFFF")


def report_title(report: DailyReport) -> str:
    where = ", ".join(p for p in (report.unit_name, report.province) if p)
    name = f"{report.site_name} ({where})" if where else report.site_name
    return tr("Daily report {date} — {name}", date=report.day.strftime("%d/%m/%Y"), name=name)


def _sheet(workbook: Workbook, title: str, headers: list[str], rows: list[list], first: bool = False):
    sheet = workbook.active if first else workbook.create_sheet()
    sheet.title = title[:31]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    for row in rows:
        sheet.append(row)
    for index, header in enumerate(headers, 1):
        width = max([len(str(header))] + [len(str(r[index - 1])) for r in rows if r[index - 1] is not None])
        sheet.column_dimensions[get_column_letter(index)].width = min(60, max(10, width + 2))
    sheet.freeze_panes = "A2"
    return sheet


def write_xlsx(report: DailyReport, path: Path) -> Path:
    workbook = Workbook()
    summary = _sheet(workbook, tr("Summary"), [tr("Item"), tr("Value")], [
        [tr("Report"), report_title(report)],
        [tr("Generated at"), report.generated_at.strftime("%d/%m/%Y %H:%M")],
        [tr("Alerts"), report.alerts_total],
        [tr("Broadcasts"), len(report.broadcasts)],
        [tr("Broadcast delivery rate (%)"), None if report.delivery_rate is None else round(report.delivery_rate * 100, 1)],
        [tr("Camera uptime (%)"), None if report.camera_uptime is None else round(report.camera_uptime * 100, 1)],
    ], first=True)
    summary.column_dimensions["B"].width = 60
    _sheet(workbook, tr("Alerts by kind"), [tr("Kind"), tr("Count")],
           [[kind_label(k), n] for k, n in report.alerts_by_kind.items()])
    _sheet(workbook, tr("Alerts by village"), [tr("Village"), tr("Count")],
           [[v, n] for v, n in report.alerts_by_village.items()])
    _sheet(workbook, tr("Broadcasts"), [tr("Time"), tr("Title"), tr("Operator"), tr("Speakers"), tr("Reached"),
                                        tr("Delivery rate (%)")],
           [[b.created_at.strftime("%H:%M"), b.title, b.operator, b.speakers, b.delivered,
             None if b.rate is None else round(b.rate * 100, 1)] for b in report.broadcasts])
    _sheet(workbook, tr("Sensors"), [tr("Sensor"), tr("Metric"), tr("Unit"), tr("Minimum"), tr("Maximum"),
                                     tr("Average"), tr("Readings")],
           [[s.sensor_name, s.metric, s.unit, round(s.minimum, 3), round(s.maximum, 3), round(s.average, 3), s.count]
            for s in report.sensors])
    _sheet(workbook, tr("Cameras"), [tr("Camera"), tr("Uptime (%)"), tr("Hours known")],
           [[c.camera_name, None if c.ratio is None else round(c.ratio * 100, 1), round(c.known_s / 3600, 2)]
            for c in report.cameras])
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path
