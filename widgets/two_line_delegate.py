"""A cell that reads as a title with a detail line under it.

An alert queue squeezed into a 500-px dock cannot give village, time and detail a column each
without a sideways scroll bar; a second, smaller line in the alert's own cell can. The item's
text is the title; ``DETAIL_ROLE`` holds the detail line and ``CONTEXT_ROLE`` the other
columns' texts as ``(column, text)`` pairs, each shown in front of the detail only while its
column is hidden. Both lines are elided to the cell; the tooltip keeps it all.
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import QModelIndex, QRect, QSize, Qt
from PyQt6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PyQt6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

DETAIL_ROLE = Qt.ItemDataRole.UserRole + 10
CONTEXT_ROLE = Qt.ItemDataRole.UserRole + 11
DETAIL_SCALE = 0.9  # the detail line's type against the title's
PADDING = 3


class TwoLineDelegate(QStyledItemDelegate):
    def __init__(self, column_hidden: Callable[[int], bool], parent=None) -> None:
        super().__init__(parent)
        self._column_hidden = column_hidden

    def detail_text(self, index: QModelIndex) -> str:
        """The second line as drawn now: the hidden columns' texts, then the detail."""
        parts = [text for column, text in (index.data(CONTEXT_ROLE) or ()) if self._column_hidden(column)]
        return " · ".join(p for p in [*parts, index.data(DETAIL_ROLE)] if p)

    @staticmethod
    def detail_font(font: QFont) -> QFont:
        small = QFont(font)
        small.setBold(False)
        small.setPointSizeF(max(6.0, font.pointSizeF() * DETAIL_SCALE))
        return small

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802 (Qt name)
        hint = super().sizeHint(option, index)
        font = index.data(Qt.ItemDataRole.FontRole) or option.font
        lines = QFontMetrics(font).height() + QFontMetrics(self.detail_font(font)).height()
        return QSize(hint.width(), max(hint.height(), lines + 2 * PADDING))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        title, opt.text = opt.text, ""
        style = opt.widget.style() if opt.widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)  # background, selection

        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        group = opt.palette.ColorGroup.Normal
        text_colour = opt.palette.color(group, opt.palette.ColorRole.HighlightedText if selected else opt.palette.ColorRole.Text)
        foreground = index.data(Qt.ItemDataRole.ForegroundRole)
        if foreground is not None and not selected:
            text_colour = foreground.color()
        rect = opt.rect.adjusted(PADDING * 2, PADDING, -PADDING * 2, -PADDING)
        title_metrics = opt.fontMetrics
        small = self.detail_font(opt.font)
        painter.save()
        painter.setFont(opt.font)
        painter.setPen(text_colour)
        top = QRect(rect.left(), rect.top(), rect.width(), title_metrics.height())
        painter.drawText(top, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         title_metrics.elidedText(title, Qt.TextElideMode.ElideRight, rect.width()))
        painter.setFont(small)
        dim = QColor(text_colour)
        dim.setAlphaF(0.75)
        painter.setPen(dim)
        small_metrics = QFontMetrics(small)
        bottom = QRect(rect.left(), top.bottom() + 1, rect.width(), small_metrics.height())
        painter.drawText(bottom, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         small_metrics.elidedText(self.detail_text(index), Qt.TextElideMode.ElideRight, rect.width()))
        painter.restore()
