"""Tiles size their own text; under the presentation style sheet (a 65-inch wall) every line of
a sensor tile must still fit inside the tile, never be cut at both sides."""

from __future__ import annotations

from PyQt6.QtWidgets import QLabel, QMainWindow

from controlroom.ui.screens.presentation import presentation_qss
from controlroom.widgets.water_level_tile import WaterLevelTile


def _overflowing(tile) -> list[str]:
    return [label.text() for label in tile.findChildren(QLabel) if label.text() and not label.wordWrap()
            and label.fontMetrics().horizontalAdvance(label.text()) > label.contentsRect().width()]


def test_a_water_level_tile_fits_its_lines_under_the_presentation_style(qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    tile = WaterLevelTile("sensor/gauge/level", "Nhánh sông tại bến đò phía hạ lưu", window, official=False)
    window.setCentralWidget(tile)
    window.resize(240, 540)  # a tall narrow tile, as in a 9-column wall display
    window.setStyleSheet(presentation_qss(48))
    window.show()
    qtbot.waitExposed(window)
    tile.show_level(0.8, None, 0, (1, 0.7))
    qtbot.waitUntil(lambda: tile.trend_label.width() > 0)
    assert _overflowing(tile) == []
