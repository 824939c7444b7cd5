"""Button rows wrap in a narrow dock instead of widening it (FlowLayout)."""

from __future__ import annotations

from PyQt6.QtWidgets import QPushButton, QWidget

from controlroom.widgets.flow_layout import FlowLayout


def test_buttons_share_one_row_when_wide_and_wrap_when_narrow(qtbot):
    host = QWidget()
    qtbot.addWidget(host)
    layout = FlowLayout(host)
    buttons = [QPushButton(f"Nút thao tác {i}") for i in range(4)]
    for button in buttons:
        layout.addWidget(button)
    one_row = layout.sizeHint().width()
    widest = max(b.sizeHint().width() for b in buttons)
    assert layout.minimumSize().width() == widest  # everything else can wrap

    host.resize(one_row + 20, layout.heightForWidth(one_row + 20))
    host.show()
    qtbot.waitUntil(lambda: buttons[-1].isVisible())
    assert len({b.y() for b in buttons}) == 1

    narrow = widest + 10
    assert layout.heightForWidth(narrow) > 3 * buttons[0].sizeHint().height()  # four rows
    host.resize(narrow, layout.heightForWidth(narrow))
    qtbot.waitUntil(lambda: len({b.y() for b in buttons}) == 4)
    assert all(b.x() == buttons[0].x() for b in buttons)

    buttons[1].hide()  # a hidden button takes no room
    qtbot.waitUntil(lambda: buttons[2].y() == buttons[0].y() + buttons[0].height() + layout.spacing())
