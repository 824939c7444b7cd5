"""SensorTile: one metric at a glance (value, unit, trend arrow, status colour); click opens it.

The tile holds no rules: its owner computes the status (limits, freshness) with
controlroom.sensor_status and calls ``show_value``. Text sizes follow the tile's height so
the same tile reads on a laptop and on a 65-inch display.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QFont, QMouseEvent, QResizeEvent
from PyQt6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget

from controlroom.i18n import tr

STATUS_COLOURS = {
    "ok": "#1b5e20",
    "warning": "#e65100",
    "alarm": "#b71c1c",
    "stale": "#424242",
    "no_data": "#263238",
}


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
        self.set_state("no_data")

    def scaled_label(self, share: float, bold: bool = False, wrap: bool = False) -> QLabel:
        label = QLabel(self)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(wrap)
        label.setStyleSheet("color:#ffffff;background:transparent;")
        label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._scaled.append((label, share, bold))
        return label

    def set_state(self, state: str, colour: str | None = None) -> None:
        self.state = state
        colour = colour or STATUS_COLOURS.get(state, STATUS_COLOURS["no_data"])
        self.setStyleSheet(f"TileFrame{{background:{colour};border-radius:8px;border:1px solid #000000;}}")

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        height = max(self.height(), 60)
        width = max(self.width(), 60)
        for label, share, bold in self._scaled:
            size = max(7.0, min(height * share, width * share * 0.9))
            font = QFont(label.font())
            font.setPixelSize(int(size))
            font.setBold(bold)
            label.setFont(font)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.clicked.emit(self.address)
        super().mouseReleaseEvent(event)


class SensorTile(TileFrame):
    """Name, big value + unit, trend arrow and a small status line."""

    def __init__(self, address: str, title: str, unit: str, parent: QWidget | None = None) -> None:
        super().__init__(address, parent)
        self.unit = unit
        self.title_label = self.scaled_label(0.11, bold=True, wrap=True)
        self.title_label.setText(title)
        self.value_label = self.scaled_label(0.30, bold=True)
        self.value_label.setText("—")
        self.status_label = self.scaled_label(0.09, wrap=True)
        self.status_label.setText(tr("No data yet"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.title_label)
        layout.addWidget(self.value_label, 1)
        layout.addWidget(self.status_label)

    def show_value(self, text: str, arrow: str, state: str, status_text: str) -> None:
        """``text`` is the formatted number; the tile adds unit and arrow."""
        self.value_label.setText(f"{text} {self.unit} {arrow}".strip())
        self.status_label.setText(status_text)
        self.set_state(state)
