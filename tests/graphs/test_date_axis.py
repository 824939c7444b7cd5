"""The time axis names days and months in Vietnamese, not in the C locale's English."""

from datetime import datetime, timezone

import pyqtgraph as pg

from controlroom.widgets.date_axis import LocalDateAxis

DAY = 86400.0


def drawn_ticks(qtbot, start: float, end: float) -> list[str]:
    axis = LocalDateAxis(orientation="bottom", utcOffset=0)
    plot = pg.PlotWidget(axisItems={"bottom": axis})
    qtbot.addWidget(plot)
    plot.resize(1000, 300)
    plot.setXRange(start, end, padding=0)
    plot.grab()  # lays the axis out and picks its zoom level
    return [text for level in axis.tickValues(start, end, axis.width()) for text in
            axis.tickStrings(level[1], 1.0, level[0])]


def test_day_ticks_use_vietnamese_weekday_names(qtbot):
    thursday = datetime(2026, 12, 3, tzinfo=timezone.utc).timestamp()
    assert "T5 03" in drawn_ticks(qtbot, thursday - DAY / 2, thursday + DAY / 2)


def test_month_ticks_use_vietnamese_month_names(qtbot):
    december = datetime(2026, 12, 1, tzinfo=timezone.utc).timestamp()
    ticks = drawn_ticks(qtbot, december - 200 * DAY, december + 20 * DAY)
    assert "Th12" in ticks and not any("Dec" in t for t in ticks)
