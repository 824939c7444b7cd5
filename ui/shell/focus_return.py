"""The keyboard goes back to the console's window when a dialog closes.

Windows and every window manager activate a dialog's parent when the dialog closes. A kiosk X
session on a wall PC runs no window manager: after the first dialog (acknowledge, broadcast,
sign-in) the keyboard went nowhere, and F8, F9 and Ctrl+L waited for a mouse click. This does
what a window manager does, only when nothing else did.
"""

from __future__ import annotations

from PyQt6 import sip
from PyQt6.QtCore import QObject, QTimer
from PyQt6.QtWidgets import QApplication, QWidget


class FocusReturn(QObject):
    """When the keyboard focus leaves a dialog for no widget at all because the dialog closed,
    the dialog's parent window is activated, unless another window already is. A dialog still
    open lost the keyboard to another program: that is left alone. A child of the application:
    it lives as long as the app. (Qt does not say when its focus window becomes none, so this
    listens to the widget focus, which it does report.)"""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self._app = app
        app.focusChanged.connect(self._changed)

    def _changed(self, old: QWidget | None, new: QWidget | None) -> None:
        if new is not None or old is None or sip.isdeleted(old):
            return
        dialog = old.window()
        parent = dialog.parentWidget()
        if parent is not None:
            owner = parent.window()
            QTimer.singleShot(0, lambda: self._give_back(dialog, owner))  # after the closing settles

    def _give_back(self, dialog: QWidget, owner: QWidget) -> None:
        closed = sip.isdeleted(dialog) or not dialog.isVisible()
        if closed and self._app.activeWindow() is None and not sip.isdeleted(owner) and owner.isVisible():
            owner.activateWindow()
