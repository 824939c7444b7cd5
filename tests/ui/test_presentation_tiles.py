"""Tiles size their own text; under the presentation style sheet (a 65-inch wall) every line of
a sensor tile must still fit inside the tile, never be cut at both sides, and the small lines
stay legible (they wrap rather than shrink to one line)."""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QLabel, QMainWindow

from controlroom.ui.screens.presentation import presentation_qss
from controlroom.widgets.water_level_tile import WaterLevelTile


def _overflowing(tile) -> list[str]:
    """Lines wider than their label, and wrapped text taller or wider than its label."""
    out = []
    for label in tile.findChildren(QLabel):
        if not label.text():
            continue
        room = label.contentsRect()
        if label.wordWrap():
            box = label.fontMetrics().boundingRect(0, 0, room.width(), 100_000, Qt.TextFlag.TextWordWrap.value,
                                                  label.text())
            if box.height() > room.height() or box.width() > room.width():
                out.append(label.text())
        elif label.fontMetrics().horizontalAdvance(label.text()) > room.width():
            out.append(label.text())
    return out


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
    # one line of "Trend: not enough data yet (needs 4 minutes)" across 240 px was 12 px (8 px on the wall)
    assert tile.trend_label.font().pixelSize() >= 18, tile.trend_label.font().pixelSize()
    assert tile.title_label.font().pixelSize() >= 18, tile.title_label.font().pixelSize()
    tile.show_level(0.8, 0.1, 0, (1, 0.7))
    assert _overflowing(tile) == []
    assert "cm/" not in tile.trend_label.text().replace("cm/\u2060", "")  # "cm/h" never split at a line end
    assert tile.next_label.text().endswith("\u00a0I") and "0,70\u00a0m" in tile.next_label.text()  # no lone "I" line
