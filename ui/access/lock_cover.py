"""The lock screen laid over a window while no one is signed in or the console is locked.

It covers the whole window (every panel of it: cameras, alerts, readings stay hidden) and takes
every click. It shows what a passer-by may see: the commune's name, the time, that the console
is locked, and (on the main window) the sign-in form itself, so the form can never end up behind
a window. `KeyGate` keeps keys (F9, F10, Ctrl+…) from every widget but that form meanwhile.
"""

from __future__ import annotations

from datetime import datetime

from PyQt6.QtCore import QEvent, QObject, Qt, QTimer
from PyQt6.QtGui import QWindow
from PyQt6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

from controlroom.i18n import tr

SIGNED_OUT, LOCKED = "signed_out", "locked"


class LockCover(QWidget):
    def __init__(self, window: QWidget, commune: str, tz) -> None:
        super().__init__(window)
        self.setObjectName("lockCover")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("#lockCover { background: #0b1220; } #lockCover QLabel { color: #e3e8ef; }")
        self._tz = tz
        self.commune = QLabel(commune)
        self.clock = QLabel()
        self.state = QLabel()
        for label, size in ((self.commune, 3.0), (self.clock, 5.0), (self.state, 1.6)):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            font = label.font()
            font.setPointSizeF(font.pointSizeF() * size)
            label.setFont(font)
        self._layout = layout = QVBoxLayout(self)
        layout.addStretch(2)
        for label in (self.commune, self.clock, self.state):
            layout.addWidget(label)
        layout.addStretch(3)
        self.form: QWidget | None = None
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        window.installEventFilter(self)
        self.hide()

    def show_state(self, state: str | None) -> None:
        """SIGNED_OUT or LOCKED covers the window; None uncovers it."""
        if state is None:
            self._timer.stop()
            self.hide()
            return
        self.state.setText(tr("Locked: sign in to continue.") if state == LOCKED
                           else tr("No one is signed in: sign in to see the control room."))
        self._tick()
        self._timer.start(10_000)
        self.setGeometry(self.parentWidget().rect())
        self.show()
        self.raise_()

    def add_notice(self, notice: QWidget) -> None:
        """A line along the bottom that must stay visible while locked (the service is down)."""
        notice.setParent(self)
        for label in notice.findChildren(QLabel):  # read from across the room, like the rest of it
            label.setFont(self.state.font())
            label.setWordWrap(True)
        self._layout.addWidget(notice)

    def hold_form(self, form: QWidget) -> None:
        """Show `form` (the sign-in) on the cover, as part of it rather than a window of its own."""
        if self.form is not None and self.form is not form:  # the last lock's form: gone, not hidden
            self._layout.removeWidget(self.form)
            self.form.deleteLater()
        self.form = form
        form.setParent(self, Qt.WindowType.Widget)
        heading = form.findChild(QLabel, "signInHeading")
        if heading is not None:  # the cover's own line says it ("Locked: sign in to continue.")
            heading.hide()
        # read from a step back, like the rest of the lock screen (the theme sets no font size)
        form.setStyleSheet(f"QWidget {{ font-size: {self.state.font().pointSizeF() * 0.75:.1f}pt; }}")
        form.ensurePolished()
        form.setFixedWidth(form.fontMetrics().averageCharWidth() * 60)
        self._fit(form)
        form.installEventFilter(self)  # a message set later (wrong password …) re-fits it
        self._layout.insertWidget(4, form, 0, Qt.AlignmentFlag.AlignHCenter)
        form.show()

    @staticmethod
    def _fit(form: QWidget) -> None:
        """Tall enough for every wrapped line (the demo accounts' hint, a message), never clipped."""
        layout = form.layout()
        if layout is not None:
            height = max(layout.totalHeightForWidth(form.width()), layout.totalMinimumSize().height())
            if form.height() != height:
                form.setFixedHeight(height)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if watched is self.form:
            if event.type() == QEvent.Type.LayoutRequest:
                self._fit(self.form)
            return False
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self.setGeometry(self.parentWidget().rect())
        elif event.type() == QEvent.Type.ChildAdded and self.isVisible():
            QTimer.singleShot(0, self.raise_)  # a panel docked later must not land on top
        return False

    def _tick(self) -> None:
        self.clock.setText(datetime.now(self._tz).strftime("%H:%M"))


KEY_EVENTS = {QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.ShortcutOverride, QEvent.Type.Shortcut}


class KeyGate(QObject):
    """Application event filter: while `closed`, keys reach only the sign-in form."""

    def __init__(self, app: QApplication, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.closed = False
        self.form: QWidget | None = None
        app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if not self.closed or event.type() not in KEY_EVENTS:
            return False
        if isinstance(watched, QWindow) and event.type() is not QEvent.Type.Shortcut:
            return False  # a keyboard's key reaches the window first, which hands it to its focus widget: judged then
        form = self.form
        inside = form is not None and isinstance(watched, QWidget) and (watched is form or form.isAncestorOf(watched))
        return not inside
