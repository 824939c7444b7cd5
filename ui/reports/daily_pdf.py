"""The daily report as PDF (through the one PDF writer, ``ui.reports.pdf``); may run off the
GUI thread (the report dialog builds in a worker)."""

from __future__ import annotations

from html import escape
from pathlib import Path

from controlroom.alerts.model import kind_label
from controlroom.reports.daily import DailyReport
from controlroom.i18n import decimal_mark, format_number, tr
from controlroom.reports.daily_xlsx import report_title
from controlroom.ui.reports.pdf import html_to_pdf

CSS = """
body { font-size: 10pt; color: #111; }
h1 { font-size: 16pt; color: #1f3a5f; margin-bottom: 2pt; }
h2 { font-size: 12.5pt; color: #1f3a5f; margin-top: 14pt; margin-bottom: 4pt; }
p.meta { color: #444; font-size: 9pt; }
table { border-collapse: collapse; }
th { background: #1f3a5f; color: #ffffff; font-weight: bold; padding: 3pt 6pt; text-align: left; }
td { padding: 2pt 6pt; border-bottom: 1px solid #cccccc; }
td.n { text-align: right; }
.kpi { font-size: 13pt; font-weight: bold; color: #1f3a5f; }
.none { color: #666; font-style: italic; }
"""


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{format_number(value * 100, 1)} %"


def _num(value: float) -> str:
    """12 345,50 in Vietnamese, 12 345.50 in English: thousands apart by a space in both, and
    always two decimals, so a column's decimal marks line up ("6" above "5,79" did not)."""
    return f"{value:,.2f}".replace(",", " ").replace(".", decimal_mark())


def _table(headers: list[str], rows: list[list[str]], numeric: set[int]) -> str:
    if not rows:
        return f"<p class='none'>{escape(tr('Nothing recorded on this day.'))}</p>"
    head = "".join(f"<th align='{'right' if i in numeric else 'left'}'>{escape(h)}</th>" for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(f"<td class='{'n' if i in numeric else ''}'>{escape(str(c))}</td>"
                                     for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table width='100%' cellspacing='0'><tr>{head}</tr>{body}</table>"


def report_html(report: DailyReport) -> str:
    kpis = [
        (tr("Alerts"), str(report.alerts_total)),
        (tr("Broadcasts"), str(len(report.broadcasts))),
        (tr("Broadcast delivery rate"), _pct(report.delivery_rate)),
        (tr("Camera uptime"), _pct(report.camera_uptime)),
    ]
    kpi_cells = "".join(f"<td width='25%'>{escape(k)}<br><span class='kpi'>{escape(v)}</span></td>" for k, v in kpis)
    parts = [
        f"<h1>{escape(report_title(report))}</h1>",
        f"<p class='meta'>{escape(tr('Generated at {time}', time=report.generated_at.strftime('%H:%M %d/%m/%Y')))}</p>",
        f"<table width='100%' cellspacing='0'><tr>{kpi_cells}</tr></table>",
        f"<h2>{escape(tr('Alerts by kind'))}</h2>",
        _table([tr("Kind"), tr("Count")], [[kind_label(k), n] for k, n in report.alerts_by_kind.items()], {1}),
        f"<h2>{escape(tr('Alerts by village'))}</h2>",
        _table([tr("Village"), tr("Count")], [[v, n] for v, n in report.alerts_by_village.items()], {1}),
        f"<h2>{escape(tr('Broadcasts'))}</h2>",
        _table([tr("Time"), tr("Title"), tr("Operator"), tr("Speakers"), tr("Reached"), tr("Delivery rate")],
               [[b.created_at.strftime("%H:%M"), b.title, b.operator, b.speakers, b.delivered, _pct(b.rate)]
                for b in report.broadcasts], {3, 4, 5}),
        f"<h2>{escape(tr('Sensors: minimum, maximum and average'))}</h2>",
        _table([tr("Sensor"), tr("Metric"), tr("Minimum"), tr("Maximum"), tr("Average"), tr("Readings")],
               [[s.sensor_name, f"{s.metric} ({s.unit})" if s.unit else s.metric, _num(s.minimum), _num(s.maximum),
                 _num(s.average), s.count] for s in report.sensors], {2, 3, 4, 5}),
        f"<h2>{escape(tr('Camera uptime'))}</h2>",
        _table([tr("Camera"), tr("Uptime"), tr("Hours known")],
               [[c.camera_name, _pct(c.ratio), _num(c.known_s / 3600)] for c in report.cameras], {1, 2}),
    ]
    return f"<html><head><style>{CSS}</style></head><body>{''.join(parts)}</body></html>"


def write_pdf(report: DailyReport, path: Path) -> Path:
    """A4 portrait, 15 mm margins."""
    return html_to_pdf(report_html(report), path, report_title(report))
