"""The risk banner paints its level's Decision 18/2021 colour, however early the level is set."""

from __future__ import annotations

from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import QVBoxLayout, QWidget

from controlroom.flood.risk import RISK_COLOURS
from controlroom.widgets.risk_banner import RiskBanner


def test_a_level_set_before_the_panel_is_shown_is_painted_in_its_colour(qtbot):
    """A panel built while the river is at level 3 sets its banner before it is shown; the
    banner once stayed grey (level 0's colour) until the level changed."""
    panel = QWidget()
    qtbot.addWidget(panel)
    banner = RiskBanner(panel)
    QVBoxLayout(panel).addWidget(banner)
    banner.show_risk(3, "Trạm thử", "1,50 m", "measured", "Điều 45")
    panel.resize(600, 200)
    panel.show()
    qtbot.waitExposed(panel)
    centre = banner.geometry().center()
    assert panel.grab().toImage().pixelColor(centre.x(), banner.geometry().top() + 4) == QColor(RISK_COLOURS[3])


def test_with_no_water_level_yet_the_banner_does_not_say_the_river_is_below_level_one(qtbot):
    """After a restart, before a live level arrives, the banner said "chưa đến cấp (dưới báo động
    I)": a claim of safety from no data at all (an old level is history, see the duty panel)."""
    banner = RiskBanner()
    qtbot.addWidget(banner)
    assert banner.title.text() == "Rủi ro lũ: chưa xác định"
    assert banner.detail.text() == "Chưa có số liệu mực nước mới."
    banner.show_risk(0, "Trạm thử", "0,80 m", "measured", "Điều 45")
    assert banner.title.text() == "Rủi ro lũ: chưa đến cấp (dưới báo động I)"
