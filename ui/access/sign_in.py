"""Sign-in (đăng nhập), the operator session and the idle lock.

`Session` shows the core's operator session (who is signed in, recorded in the audit log by
the core) as Qt signals. Password checking (scrypt, ~50 ms by design) runs off the GUI thread.
`IdleLock` watches the application's input events and locks the session after
`timeout_s` without any; the sign-in dialog then asks again (the same operator or another).
"""

from __future__ import annotations

import logging
from typing import Callable

from PyQt6.QtCore import QEvent, QObject, Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import (QApplication, QDialog, QFormLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout,
                             QWidget)

from controlroom.i18n import tr
from controlroom.access.operators import Operator
from controlroom.access.session import OperatorSession
from controlroom.ui.shell.background import run_in_background

log = logging.getLogger(__name__)

INPUT_EVENTS = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.Wheel,
                QEvent.Type.TouchBegin}


class Session(QObject):
    """The console's session (``core.access.session``) as Qt signals, for the sign-in dialog,
    the idle lock and views that follow who is signed in."""

    changed = pyqtSignal(object)  # Operator | None
    locked_changed = pyqtSignal(bool)

    def __init__(self, session: OperatorSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.core_session = session
        self._remove = session.add_listener(self._on_change)  # called on the GUI thread (sign-in is)

    @property
    def operator(self) -> Operator | None:
        return self.core_session.operator

    @property
    def locked(self) -> bool:
        return self.core_session.locked

    def acting_operator(self) -> Operator:
        return self.core_session.acting_operator()

    def sign_in(self, operator: Operator) -> None:
        self.core_session.sign_in(operator)

    def sign_in_failed(self, username: str) -> None:
        self.core_session.sign_in_failed(username)

    def lock(self, reason: str = "idle") -> None:
        self.core_session.lock(reason)

    def sign_out(self) -> None:
        self.core_session.sign_out()

    def _on_change(self, operator: Operator | None, locked: bool) -> None:
        if locked:
            self.locked_changed.emit(True)
        elif operator is None:  # signed out
            self.changed.emit(None)
        else:  # signed in (again)
            self.changed.emit(operator)
            self.locked_changed.emit(False)

    def close(self) -> None:
        self._remove()


class SignInDialog(QDialog):
    """User name and password; the check runs in the background, the dialog stays responsive.
    `check(username, password) -> Operator | None` is injectable (tests, other stores)."""

    def __init__(self, session: Session, check: Callable[[str, str], Operator | None],
                 parent: QWidget | None = None, locked_user: str | None = None, hint: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("signInDialog")
        self.session = session
        self._check = check
        self.setWindowTitle(tr("Sign in"))
        self.setModal(True)
        heading = QLabel(tr("The console is locked. Sign in to continue.") if locked_user
                         else tr("Sign in to the control room"))
        heading.setObjectName("signInHeading")
        heading.setWordWrap(True)
        self.username = QLineEdit(locked_user or "")
        self.username.setObjectName("signInUser")
        self.password = QLineEdit()
        self.password.setObjectName("signInPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = QLabel("")
        self.message.setObjectName("signInMessage")
        self.message.setWordWrap(True)
        self.button = QPushButton(tr("Sign in"))
        self.button.setDefault(True)
        self.button.clicked.connect(self.submit)
        form = QFormLayout()
        form.addRow(tr("User name"), self.username)
        form.addRow(tr("Password"), self.password)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addWidget(self.message)
        if hint:
            note = QLabel(hint)
            note.setObjectName("signInHint")
            note.setWordWrap(True)
            layout.addWidget(note)
        layout.addWidget(self.button, alignment=Qt.AlignmentFlag.AlignRight)
        self._first_field = self.password if locked_user else self.username
        self.focus_first_field()

    def focus_first_field(self) -> None:
        """The cursor where typing starts: the password when the user is known (a lock), else the name."""
        self._first_field.setFocus()

    def submit(self) -> None:
        username, password = self.username.text().strip(), self.password.text()
        if not username or not password:
            self.message.setText(tr("Enter your user name and password."))
            return
        self.button.setEnabled(False)
        self.message.setText(tr("Checking…"))
        self.password.clear()  # the text does not stay in the widget
        run_in_background(lambda: self._check(username, password), lambda op: self._checked(username, op),
                          self._failed)

    def _checked(self, username: str, operator: Operator | None) -> None:
        self.button.setEnabled(True)
        if operator is None:
            self.session.sign_in_failed(username)
            self.message.setText(tr("Wrong user name or password."))
            return
        self.session.sign_in(operator)
        self.accept()

    def _failed(self, exc: Exception) -> None:
        log.error("sign-in check failed: %s", exc)
        self.button.setEnabled(True)
        self.message.setText(tr("Cannot check the password now: {reason}", reason=str(exc) or type(exc).__name__))

    def reject(self) -> None:  # Escape does not get past a locked console
        if self.session.operator is not None and not self.session.locked:
            super().reject()


class IdleLock(QObject):
    """Application event filter: `timeout_s` without keyboard, mouse or touch input locks
    the session. 0 disables it. The check runs on a coarse timer, not per event."""

    def __init__(self, session: Session, timeout_s: float, parent: QObject | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        super().__init__(parent)
        import time

        self.session = session
        self.timeout_s = timeout_s
        self._clock = clock or time.monotonic
        self.last_input = self._clock()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)
        if timeout_s > 0:
            self._timer.start(max(1000, min(30_000, round(timeout_s * 250))))

    def install(self, app: QApplication) -> None:
        app.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if event.type() in INPUT_EVENTS:
            self.last_input = self._clock()
        return False

    def check(self) -> bool:
        """Lock when idle too long; True if it locked now."""
        if self.timeout_s <= 0 or self.session.locked or self.session.operator is None:
            return False
        if self._clock() - self.last_input >= self.timeout_s:
            self.session.lock("idle")
            return True
        return False
