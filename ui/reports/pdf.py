"""The one PDF writer: HTML laid out by Qt's QTextDocument and written by QPdfWriter on A4, so
the fonts the app already uses (with Vietnamese diacritics) are embedded on every system.

QTextDocument and QPdfWriter paint without widgets and may run off the GUI thread (reports are
built in workers)."""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import QMarginsF, QSizeF
from PyQt6.QtGui import QFont, QPageLayout, QPageSize, QPdfWriter, QTextDocument

SANS = ["Noto Sans", "DejaVu Sans", "Segoe UI", "Arial"]  # tables and figures
SERIF = ["Noto Serif", "DejaVu Serif", "Times New Roman", "DejaVu Sans"]  # administrative documents


def html_to_pdf(html: str, path: Path, title: str, *, fonts: list[str] = SANS, landscape: bool = False,
                margins_mm: tuple[float, float, float, float] = (15, 15, 15, 15)) -> Path:
    """Write `html` to `path` (A4 at 150 dpi; margins left, top, right, bottom in mm)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = QPdfWriter(str(path))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageOrientation(QPageLayout.Orientation.Landscape if landscape else QPageLayout.Orientation.Portrait)
    writer.setPageMargins(QMarginsF(*margins_mm), QPageLayout.Unit.Millimeter)
    writer.setResolution(150)
    writer.setTitle(title)
    writer.setCreator("controlroom")
    document = QTextDocument()
    font = QFont()
    font.setFamilies(fonts)
    font.setPointSizeF(10)
    document.setDefaultFont(font)
    document.setHtml(html)
    rect = writer.pageLayout().paintRectPixels(writer.resolution())
    document.setPageSize(QSizeF(rect.width(), rect.height()))
    document.print(writer)
    return path
