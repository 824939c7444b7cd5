"""After a dialog closes the keyboard is the console's again, even where no window manager
hands it back (a kiosk X session): F8, F9 and Ctrl+L must work without a mouse click."""

from __future__ import annotations

from PyQt6.QtWidgets import QDialog, QLineEdit, QMainWindow, QVBoxLayout


def test_closing_a_dialog_gives_the_keyboard_back_to_its_window(qtbot, qapp):
    from controlroom.ui.shell.focus_return import FocusReturn

    returner = FocusReturn(qapp)
    try:
        window = QMainWindow()
        qtbot.addWidget(window)
        window.show()
        window.activateWindow()
        qtbot.waitUntil(lambda: qapp.activeWindow() is window, timeout=5000)
        dialog = QDialog(window)
        QVBoxLayout(dialog).addWidget(QLineEdit())
        dialog.show()
        dialog.activateWindow()
        qtbot.waitUntil(lambda: qapp.activeWindow() is dialog, timeout=5000)
        dialog.reject()
        qtbot.waitUntil(lambda: qapp.activeWindow() is window, timeout=5000)
    finally:
        qapp.focusChanged.disconnect(returner._changed)
        returner.deleteLater()
