"""SensorTile: one metric at a glance (value, unit, trend arrow, status colour); click opens it.

The tile holds no rules: its owner computes the status (limits, freshness) with
controlroom.sensors.status and calls ``show_value``. Text sizes follow the tile's height so
the same tile reads on a laptop and on a 65-inch display.
"""

from __future__ import annotations

from PyQt6.QtCore import QSize, Qt, pyqtSignal
from PyQt6.QtGui import QFont, QFontMetrics, QMouseEvent, QResizeEvent
from PyQt6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget

from controlroom.i18n import tr

STATUS_COLOURS = {
    "ok": "#1b5e20",
    "warning": "#e65100",
    "alarm": "#b71c1c",
    "stale": "#424242",
    "no_data": "#263238",
}


class _FitLabel(QLabel):
    """A label that never asks for room: the tile sizes it, and its font follows the tile."""

    def sizeHint(self) -> QSize:
        return QSize(10, 10)

    def minimumSizeHint(self) -> QSize:
        return QSize(0, 0)

    def hasHeightForWidth(self) -> bool:  # wrapped text must not grow the tile either
        return False


class TileFrame(QFrame):
    """A clickable coloured frame that scales its labels' fonts with its height."""

    clicked = pyqtSignal(str)  # the address the tile stands for

    def __init__(self, address: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.address = address
        self.state = "no_data"
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(150, 100)
        self._scaled: list[tuple[QLabel, float, bool]] = []  # label, share of height, bold
        self.tile_layout = QVBoxLayout(self)
        self.tile_layout.setContentsMargins(10, 6, 10, 6)
        self.tile_layout.setSpacing(2)
        self.set_state("no_data")

    def scaled_label(self, share: float, bold: bool = False, wrap: bool = False) -> QLabel:
        label = _FitLabel(self)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(wrap)
        label.setStyleSheet("color:#ffffff;background:transparent;")
        label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        # the tile's size decides the fonts, never the other way round (no growth feedback)
        label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        label.setMinimumSize(0, 0)
        self.tile_layout.addWidget(label, max(1, round(share * 100)))
        self._scaled.append((label, share, bold))
        return label

    def set_state(self, state: str, colour: str | None = None) -> None:
        self.state = state
        colour = colour or STATUS_COLOURS.get(state, STATUS_COLOURS["no_data"])
        if colour != getattr(self, "_colour", None):  # re-polishing a style sheet is costly: only on a change
            self._colour = colour
            self.setStyleSheet(f"TileFrame{{background:{colour};border-radius:8px;border:1px solid #000000;}}")

    def colour_text(self, colour: str) -> None:
        """The colour of the tile's scaled labels (set only when it changes)."""
        if colour == getattr(self, "_text_colour", None):
            return
        self._text_colour = colour
        for label, _share, _bold in self._scaled:
            label.setStyleSheet(f"color:{colour};background:transparent;")

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_labels()

    def fit_labels(self) -> None:
        """Size each label's font from the tile height, shrunk until its text fits the width."""
        height = max(self.height(), 60)
        margins = self.tile_layout.contentsMargins()  # the labels' width: inside the frame and margins
        width = max(self.contentsRect().width() - margins.left() - margins.right(), 40)
        for label, share, bold in self._scaled:
            room = label.height() if label.height() > 4 else int(height * share)
            fitted = (label.text(), width, height, room, label.font().family())
            if label.property("fitted") == fitted:
                continue  # same text in the same room: the font found last time still holds
            label.setProperty("fitted", fitted)
            font = QFont(label.font())
            font.setBold(bold)
            size = max(7, int(height * share))
            lines = label.text().splitlines() or [""]
            for _ in range(8):  # text size scales ~linearly with the font size: a few steps
                font.setPixelSize(size)
                metrics = QFontMetrics(font)
                if label.wordWrap():
                    box = metrics.boundingRect(0, 0, width, 100_000, Qt.TextFlag.TextWordWrap.value, label.text())
                    if (box.height() <= room and box.width() <= width) or size <= 7:  # a long word cannot wrap
                        break
                    size = max(7, int(size * 0.9))
                    continue
                advance = max(metrics.horizontalAdvance(line) for line in lines)
                if advance <= width or size <= 7:
                    break
                size = max(7, min(size - 1, int(size * width / advance)))
            font.setPixelSize(size)
            label.setFont(font)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.clicked.emit(self.address)
        super().mouseReleaseEvent(event)


class SensorTile(TileFrame):
    """Name, big value + unit, trend arrow and a small status line."""

    def __init__(self, address: str, title: str, unit: str, parent: QWidget | None = None,
                 subtitle: str = "") -> None:
        super().__init__(address, parent)
        self.unit = unit
        self.title_label = self.scaled_label(0.12, bold=True, wrap=True)  # a long name: two lines, not tiny
        self.title_label.setText(title)
        self.subtitle_label = self.scaled_label(0.075, wrap=True)
        self.subtitle_label.setText(subtitle)
        self.subtitle_label.setVisible(bool(subtitle))
        self.value_label = self.scaled_label(0.28, bold=True)
        self.value_label.setText("—")
        self.status_label = self.scaled_label(0.09, wrap=True)
        self.status_label.setText(tr("No data yet"))

    def show_value(self, text: str, arrow: str, state: str, status_text: str) -> None:
        """``text`` is the formatted number; the tile adds unit and arrow."""
        self.value_label.setText(f"{text} {self.unit} {arrow}".strip())
        self.status_label.setText(status_text)
        self.set_state(state)
        self.fit_labels()
