"""An empty list says what it is for (the broadcast panel's job list was a blank box)."""

from __future__ import annotations

from controlroom.widgets.hint_list import HintList

HINT = "Chưa có lượt phát nào trong danh sách."


def _with_and_without_hint(widget: HintList):
    """The same widget drawn with its hint and with none (same size, focus and items)."""
    widget.hint = HINT
    shown = widget.grab().toImage()
    widget.hint = ""
    bare = widget.grab().toImage()
    widget.hint = HINT
    return shown, bare


def test_an_empty_list_shows_its_hint_until_the_first_item(qtbot):
    hinted = HintList(HINT)
    qtbot.addWidget(hinted)
    hinted.resize(320, 120)
    hinted.show()
    qtbot.waitExposed(hinted)
    shown, bare = _with_and_without_hint(hinted)
    assert shown != bare
    hinted.addItem("06:01  Thông báo — 3/3 đã phát")
    shown, bare = _with_and_without_hint(hinted)
    assert shown == bare  # gone with the first item
