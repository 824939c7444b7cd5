"""A one-line label that ends in "…" when squeezed, instead of cutting its text off.

A status bar at 1920 px holds the operator, the service, the broker, the database, the feeds,
the message rate and the dropped count; when a window is narrower than all of them, a plain
QLabel cuts its text at the edge ("Bị loại" with its count gone, "chạy từ 22:"), which reads as
something wrong. An ellipsis says there is more. The label still asks for its whole text's
width, so it is shortened only when there is no room.
"""

from __future__ import annotations

from PyQt6.QtCore import QSize, Qt
from PyQt6.QtGui import QPainter, QPalette
from PyQt6.QtWidgets import QFrame, QLabel

MIN_CHARS = 6  # never narrower than this: "Cảm b…" still says which label it is


class ElidedLabel(QLabel):
    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        margins = self.contentsMargins()
        width = self.fontMetrics().averageCharWidth() * MIN_CHARS + margins.left() + margins.right()
        return QSize(width, super().minimumSizeHint().height())

    def shown_text(self) -> str:
        """The text as painted: whole where it fits, else shortened with "…" at its end."""
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, self.contentsRect().width())

    def paintEvent(self, event) -> None:  # noqa: N802
        QFrame.paintEvent(self, event)  # the style sheet's border and background
        painter = QPainter(self)
        self.style().drawItemText(painter, self.contentsRect(), int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                                  self.palette(), self.isEnabled(), self.shown_text(), QPalette.ColorRole.WindowText)
        painter.end()
