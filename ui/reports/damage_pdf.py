"""The quick damage report (báo cáo nhanh) as PDF (through the one PDF writer,
``ui.reports.pdf``), in the serif face of administrative documents. Safe off the GUI thread."""

from __future__ import annotations

from html import escape
from pathlib import Path

from controlroom.flood.damage_indicators import GROUPS
from controlroom.flood.damage_report import QuickReport, indicator_rows
from controlroom.reports.damage_xlsx import report_heading, report_subject, situation_lines
from controlroom.ui.reports.pdf import SERIF, html_to_pdf

CSS = """
body { font-size: 10pt; color: #000; }
td.hdr { text-align: center; font-size: 10pt; }
h1 { font-size: 14pt; text-align: center; margin: 8pt 0 0 0; }
p.subject { text-align: center; font-weight: bold; margin: 2pt 0 6pt 0; }
p.to { text-align: center; margin-bottom: 8pt; }
table.grid { border-collapse: collapse; }
table.grid th { background: #dfe6ee; font-weight: bold; padding: 2pt 3pt; border: 1px solid #555; font-size: 9.5pt; }
table.grid td { padding: 1.5pt 3pt; border: 1px solid #888; font-size: 9.5pt; }
td.n { text-align: right; }
td.total { text-align: right; font-weight: bold; }
td.group { background: #f1f4f7; font-weight: bold; }
p.note { font-size: 8.5pt; font-style: italic; color: #333; }
"""


def _num(value: float) -> str:
    if not value:
        return ""
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return text.replace(",", "\u202f").replace(".", ",")


def damage_html(report: QuickReport) -> str:
    e = escape
    header = (
        "<table width='100%'><tr>"
        f"<td class='hdr' width='45%'><b>UBND {e(report.unit_name.upper())}</b><br>{e(report.province)}<br>———</td>"
        "<td class='hdr' width='55%'><b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br>"
        "<b>Độc lập - Tự do - Hạnh phúc</b><br>———</td></tr>"
        f"<tr><td></td><td class='hdr'><i>{e(report.made_at.astimezone(report.tz).strftime('ngày %d tháng %m năm %Y'))}"
        "</i></td></tr></table>")
    parts = [header, f"<h1>{e(report_heading(report))}</h1>", f"<p class='subject'>{e(report_subject(report))}</p>",
             f"<p class='to'>Kính gửi: {e('; '.join(report.recipients) or '—')}</p>"]
    parts.append("<table>")
    for label, value in situation_lines(report):
        parts.append(f"<tr><td><b>{e(label)}:</b></td><td>{e(value)}</td></tr>")
    if report.former_units:
        parts.append(f"<tr><td><b>Địa bàn (các đơn vị cũ):</b></td><td>{e(', '.join(report.former_units))}</td></tr>")
    parts.append("</table><p></p>")
    heads = "".join(f"<th>{e(name)}</th>" for _, name in report.villages)
    parts.append(f"<table class='grid' width='100%'><tr><th>Chỉ tiêu</th><th>ĐVT</th>{heads}<th>Tổng xã</th></tr>")
    group = None
    for g, label, unit, values, total in indicator_rows(report):
        if g != group:
            group = g
            parts.append(f"<tr><td class='group' colspan='{3 + len(values)}'>{e(GROUPS[g])}</td></tr>")
        cells = "".join(f"<td class='n'>{_num(v)}</td>" for v in values)
        parts.append(f"<tr><td>{e(label)}</td><td>{e(unit)}</td>{cells}<td class='total'>{_num(total) or '0'}</td></tr>")
    parts.append("</table>")
    parts.append(f"<p class='note'>Số liệu cộng dồn từ khi bắt đầu đợt thiên tai. Căn cứ: {e(report.source)}.</p>")
    if report.issuer:
        parts.append(f"<table width='100%'><tr><td width='55%'></td><td class='hdr'><b>{e(report.issuer.upper())}</b>"
                     "<br><i>(Ký, ghi rõ họ tên)</i></td></tr></table>")
    return f"<html><head><style>{CSS}</style></head><body>{''.join(parts)}</body></html>"


def write_damage_pdf(report: QuickReport, path: Path) -> Path:
    return html_to_pdf(damage_html(report), path, report_heading(report) + " — " + report_subject(report),
                       fonts=SERIF, landscape=len(report.villages) > 5, margins_mm=(15, 12, 12, 12))
