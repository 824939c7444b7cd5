"""A lock that locks: signed out or locked, every window of the console — a panel moved to a
second screen's window included — is covered (content hidden, clicks taken), the sign-in form
sits on the main window's cover (never behind a window) and keys such as F9 reach nothing
else; signing in uncovers them."""

from __future__ import annotations

from PyQt6.QtCore import QPoint, Qt
from PyQt6.QtTest import QTest
from PyQt6.QtWidgets import QLabel

from controlroom.access.operators import Operator, Role
from controlroom.ui.access.lock_cover import LockCover
from controlroom.ui.screens.manager import ScreenInfo
from controlroom.ui.shell.operations import install_operations
from controlroom.ui.shell.service_banner import ServiceBanner

DESK = ScreenInfo("desk", 0, 0, 1920, 1080, 527, 296, primary=True)
WALL = ScreenInfo("wall", 1920, 0, 3840, 2160, 1428, 803)
OFFICER = Operator("trucban_t", "Trực ban", Role.DUTY_OFFICER)


def _cover(window) -> LockCover | None:
    """The cover that owns the window's centre (so gets its clicks), if one is shown."""
    at = window.childAt(QPoint(window.width() // 2, window.height() // 2))
    while at is not None and not isinstance(at, LockCover):
        at = at.parentWidget()
    return at if at is not None and at.isVisible() else None


def test_signed_out_and_locked_cover_every_window_and_block_keys(qtbot, qapp, make_window, ops_context):
    window = make_window()
    operations = install_operations(qapp, window, ops_context, screens=[DESK, WALL])
    window.show()
    operations.manager.move_panel("alerts", WALL.key)  # a panel on the second screen's window
    wall = operations.manager.windows[WALL.key]
    operations.start()
    window.activateWindow()  # application shortcuts need an active window
    qtbot.waitUntil(window.isActiveWindow, timeout=10_000)
    try:
        assert _cover(window) and _cover(wall)
        dialog = operations._dialog
        assert dialog.isVisible() and dialog.parentWidget() is _cover(window)  # the form is on the lock screen
        assert not dialog.findChild(QLabel, "signInHeading").isVisible()  # the cover says it once, not twice
        qtbot.keyClick(window, Qt.Key.Key_F9)
        qtbot.keyClick(wall, Qt.Key.Key_F9)
        QTest.keyClick(window.windowHandle(), Qt.Key.Key_F9)  # as a keyboard does: to the window first
        assert not operations.flood.active  # F9 before anyone signed in does nothing
        assert dialog.username.hasFocus()
        for key in "ai":  # typed as a keyboard does: the window gets the key and hands it to the form
            QTest.keyClick(window.windowHandle(), key)
        assert dialog.username.text() == "ai"  # while the form takes its keys

        assert window.status_bar.operator_label.text() == "Chưa đăng nhập"
        ops_context.session.sign_in(OFFICER)
        dialog.accept()
        assert _cover(window) is None and _cover(wall) is None
        assert window.status_bar.operator_label.text() == "Đăng nhập: Trực ban (Cán bộ trực ban)"

        QTest.keyClick(window.windowHandle(), Qt.Key.Key_F9)
        assert operations.flood.active  # signed in: the keys work again
        operations.flood.leave()

        ops_context.session.lock("test")
        assert operations._dialog.isVisible() and operations._dialog.username.text() == OFFICER.username
        cover = _cover(wall)
        assert cover is not None and _cover(window) is not None
        assert cover.commune.text() == ops_context.config.site.name and "Đã khóa" in cover.state.text()
        assert cover.findChild(ServiceBanner) is not None  # a dead service is told over the lock too
    finally:
        if operations._dialog is not None:
            operations._dialog.done(0)
        operations.close()


def test_the_demo_lock_screen_lists_one_account_a_line_never_breaking_a_password(qtbot, qapp, make_window, ops_context):
    from controlroom.access.accounts import DEMO_ACCOUNTS

    window = make_window()
    operations = install_operations(qapp, window, ops_context, screens=[DESK], demo=True)
    window.resize(1920, 1080)
    window.show()
    operations.start()
    try:
        hint = operations._dialog.findChild(QLabel, "signInHint")
        qtbot.waitUntil(lambda: hint.isVisible() and hint.width() > 0)
        lines = hint.text().splitlines()
        assert lines[0] == "Tài khoản dùng thử:" and len(lines) == 1 + len(DEMO_ACCOUNTS)
        for user, (_name, _role, password) in DEMO_ACCOUNTS.items():
            line = next(line for line in lines if line.startswith(f"{user} / {password} "))
            assert hint.fontMetrics().horizontalAdvance(line) <= hint.contentsRect().width()  # drawn on one line
    finally:
        operations.close()
