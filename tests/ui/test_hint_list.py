"""An empty list says what it is for (the broadcast panel's job list was a blank box)."""

from __future__ import annotations

from PyQt6.QtWidgets import QListWidget

from controlroom.widgets.hint_list import HintList


def test_an_empty_list_shows_its_hint_until_the_first_item(qtbot):
    hinted, plain = HintList("Chưa có lượt phát nào trong danh sách."), QListWidget()
    for widget in (hinted, plain):
        qtbot.addWidget(widget)
        widget.resize(320, 120)
        widget.show()
    qtbot.waitExposed(hinted)
    assert hinted.grab().toImage() != plain.grab().toImage()
    for widget in (hinted, plain):
        widget.addItem("06:01  Thông báo — 3/3 đã phát")
    assert hinted.grab().toImage() == plain.grab().toImage()  # gone with the first item
