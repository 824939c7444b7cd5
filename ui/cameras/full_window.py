"""An enlarged camera over the whole window that holds the camera wall, not just the wall's panel.

On the main console the wall is one panel among the map, the alerts and the sensors; a camera
the operator enlarges should get the window (all of it but the status bar, which keeps telling
the service's and the broker's state). The cover never rises above the lock screen: live
pictures stay hidden while the console is locked. Esc, like a double-click on the picture,
gives the camera back to the wall.
"""

from __future__ import annotations

from typing import Callable

from PyQt6.QtCore import QEvent, Qt, QTimer
from PyQt6.QtWidgets import QLabel, QMainWindow, QVBoxLayout, QWidget

LOCK_COVER_NAME = "lockCover"  # ui/access/lock_cover.py: always on top of this one
HINT_MS = 5000  # how long the way back is shown over the picture


class FullWindow(QWidget):
    def __init__(self, window: QWidget, on_escape: Callable[[], None], scale: float = 1.0) -> None:
        """`scale`: the console's scale (2 on a 4K screen), for the hint's margins."""
        super().__init__(window)
        self.setObjectName("fullWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("#fullWindow { background: #000; }")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._on_escape = on_escape
        self.held: QWidget | None = None
        self.hint = QLabel(self)
        self.hint.setStyleSheet(f"background: rgba(0, 0, 0, 170); color: white; padding: {round(6 * scale)}px {round(10 * scale)}px;")
        font = self.hint.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)  # read from the chair (the console already scales its text on 4K)
        self.hint.setFont(font)
        self.hint.hide()
        self._hint_timer = QTimer(self, singleShot=True, interval=HINT_MS, timeout=self.hint.hide)
        window.installEventFilter(self)
        self.hide()

    def hold(self, widget: QWidget, hint: str = "") -> None:
        """Lay `widget` over the window (it is taken from wherever it was); `hint`, if any, says
        for a few seconds how to go back."""
        self.held = widget
        self._layout.addWidget(widget)
        widget.show()
        self.reveal()
        if hint:
            self.show_hint(hint)

    def show_hint(self, text: str) -> None:
        """A line in the top right corner for a few seconds (the way back, an alarm behind)."""
        self.hint.setText(text)
        self.hint.adjustSize()
        self.hint.move(self.width() - self.hint.width() - 12, 12)
        self.hint.show()
        self.hint.raise_()
        self._hint_timer.start()

    def release(self) -> QWidget | None:
        """Hand the widget back (the caller puts it in its place again) and uncover the window."""
        widget, self.held = self.held, None
        if widget is not None:
            self._layout.removeWidget(widget)
        self.hint.hide()
        self.hide()
        for panel in self._panels():
            panel.removeEventFilter(self)  # watched only while a camera is enlarged
        return widget

    def dispose(self) -> None:
        """No longer wanted (its window is not the wall's any more, or the wall closes)."""
        for watched in (self.parentWidget(), *self._panels()):
            watched.removeEventFilter(self)
        self.deleteLater()

    def _panels(self) -> list[QWidget]:
        """The window's other direct children: its panels, bars and covers."""
        return [w for w in self.parentWidget().findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
                if w is not self]

    def reveal(self) -> None:
        """Shown over every panel of the window, under a lock screen if there is one."""
        if self.held is None:
            return
        self._place()
        self.show()
        for panel in self._panels():
            panel.installEventFilter(self)  # told when a panel is raised above us (ZOrderChange goes to it)
        self._raise_under_lock()

    def _raise_under_lock(self) -> None:
        """On top of every panel of the window (a dock raised or added later included), under
        the lock screen; the keys come here only when nothing is locked."""
        if self.held is None or not self.isVisible():
            return
        self.raise_()
        locked = False
        for cover in self.parentWidget().findChildren(QWidget, LOCK_COVER_NAME, Qt.FindChildOption.FindDirectChildrenOnly):
            if cover.isVisible():
                cover.raise_()
                locked = True
        if not locked:
            self.setFocus()

    def _place(self) -> None:
        window = self.parentWidget()
        rect = window.rect()
        if isinstance(window, QMainWindow):
            status = window.statusBar()
            if status is not None and status.isVisible():
                rect.setBottom(status.geometry().top() - 1)
        self.setGeometry(rect)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        if not self.isVisible():
            return False
        window = self.parentWidget()
        if watched is window:
            if event.type() == QEvent.Type.Resize:
                self._place()
            elif event.type() == QEvent.Type.ChildAdded:
                child = event.child()
                if child.isWidgetType():
                    child.installEventFilter(self)
                QTimer.singleShot(0, self._raise_under_lock)  # a panel docked later must not land on top
        elif event.type() == QEvent.Type.ZOrderChange and watched.objectName() != LOCK_COVER_NAME:
            QTimer.singleShot(0, self._raise_under_lock)  # a panel brought to the front (to show an alert)
        return False

    def event(self, event) -> bool:
        """Esc is ours before it is any window shortcut's: the enlarged camera goes back to the
        wall first, and only a second Esc leaves a presentation."""
        if event.type() == QEvent.Type.ShortcutOverride and event.key() == Qt.Key.Key_Escape:
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if event.key() == Qt.Key.Key_Escape:
            self._on_escape()
            return
        super().keyPressEvent(event)
