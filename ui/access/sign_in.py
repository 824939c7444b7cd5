"""Sign-in (đăng nhập), the operator session and the idle lock.

`Session` holds the signed-in `Operator` and puts it where the panels look for it
(`context.services["operator"]`, and the alert panel's `operator_name`), tells panels that
carry an `operator` attribute, and records sign-in, failed sign-in, lock and sign-out in
the audit log. Password checking (scrypt, ~50 ms by design) runs off the GUI thread.
`IdleLock` watches the application's input events and locks the session after
`timeout_s` without any; the sign-in dialog then asks again (the same operator or another).
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from PyQt6.QtCore import QEvent, QObject, Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import (QApplication, QDialog, QFormLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout,
                             QWidget)

from controlroom.i18n import tr
from controlroom.access.operators import Operator, authenticate
from controlroom.ui.shell.background import run_in_background

log = logging.getLogger(__name__)

INPUT_EVENTS = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.Wheel,
                QEvent.Type.TouchBegin}


class Session(QObject):
    """The console's signed-in operator (None while nobody is, or while locked)."""

    changed = pyqtSignal(object)  # Operator | None
    locked_changed = pyqtSignal(bool)

    def __init__(self, context, audit=None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.audit = audit  # controlroom.access.audit.AuditLog or None (tests without storage)
        self.operator: Operator | None = None
        self.locked = False

    def _record(self, actor: str, action: str, detail: dict | None = None) -> None:
        if self.audit is not None:
            self.audit.record(actor, action, "console", detail)

    def sign_in(self, operator: Operator) -> None:
        self.operator = operator
        self.locked = False
        self.context.services["operator"] = operator
        self.context.services["operator_name"] = operator.username
        for panel in self._panels():
            if isinstance(getattr(panel, "operator", None), Operator):
                panel.operator = operator
        self._record(operator.username, "operator.sign_in", {"role": operator.role.name.lower()})
        self.changed.emit(operator)
        self.locked_changed.emit(False)

    def sign_in_failed(self, username: str) -> None:
        self._record(username or "?", "operator.sign_in_failed")

    def lock(self, reason: str = "idle") -> None:
        if self.operator is None or self.locked:
            return
        self.locked = True
        self._record(self.operator.username, "operator.lock", {"reason": reason})
        self.locked_changed.emit(True)

    def sign_out(self) -> None:
        if self.operator is None:
            return
        self._record(self.operator.username, "operator.sign_out")
        self.operator = None
        self.context.services.pop("operator", None)
        self.context.services.pop("operator_name", None)
        self.changed.emit(None)

    def _panels(self) -> list[Any]:
        return [v for k, v in self.context.services.items() if k.endswith("_panel")]


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
        (self.password if locked_user else self.username).setFocus()

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


def database_check(engine, site_id: str) -> Callable[[str, str], Operator | None]:
    return lambda username, password: authenticate(engine, site_id, username, password)


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
