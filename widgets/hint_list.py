"""A list that says what it is for while it is empty, instead of showing a blank box."""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QPainter
from PyQt6.QtWidgets import QListWidget, QWidget


class HintList(QListWidget):
    """A QListWidget that draws `hint` (wrapped, dimmed) in its empty viewport."""

    def __init__(self, hint: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hint = hint

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        if self.count() or not self.hint:
            return
        painter = QPainter(self.viewport())
        painter.setPen(self.palette().placeholderText().color())
        margin = self.fontMetrics().height() // 2
        painter.drawText(self.viewport().rect().adjusted(margin, margin, -margin, -margin),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap, self.hint)
        painter.end()
