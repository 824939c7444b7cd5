"""The status bar of a signed-in console says everything at 1920 px; squeezed, its labels end in
"…" rather than losing the end of their text (a count, a time) at the edge."""

from __future__ import annotations

from controlroom.access.operators import Operator, Role
from controlroom.widgets.elided_label import ElidedLabel

OFFICER = Operator("trucban_dem", "Cán bộ trực ban (ca đêm)", Role.DUTY_OFFICER)


def _labels(window) -> list[ElidedLabel]:
    labels = [label for label in window.status_bar.findChildren(ElidedLabel) if label.isVisible()]
    assert len(labels) >= 6, "the status bar's labels are not elided labels"
    return labels


def _show_signed_in(qtbot, make_window, ops_context, width: int):
    ops_context.session.sign_in(OFFICER)
    window = make_window()
    window.resize(width, 700)
    window.show()
    qtbot.waitExposed(window)
    window.status_bar.refresh()
    return window


def test_at_1920_px_every_label_is_whole_and_the_role_is_said_once(qtbot, make_window, ops_context):
    window = _show_signed_in(qtbot, make_window, ops_context, 1920)
    qtbot.waitUntil(lambda: all(label.shown_text() == label.text() for label in _labels(window)), timeout=5000)
    assert window.status_bar.operator_label.text() == "Đăng nhập: Cán bộ trực ban (ca đêm)"  # not "(Cán bộ trực ban)" again


def test_squeezed_labels_end_in_an_ellipsis_and_fit(qtbot, make_window, ops_context):
    window = _show_signed_in(qtbot, make_window, ops_context, 760)
    labels = _labels(window)
    qtbot.waitUntil(lambda: any(label.shown_text() != label.text() for label in labels), timeout=5000)
    for label in labels:
        shown = label.shown_text()
        assert label.fontMetrics().horizontalAdvance(shown) <= label.contentsRect().width(), label.objectName()
        assert shown == label.text() or shown.endswith("…"), (label.objectName(), shown)
