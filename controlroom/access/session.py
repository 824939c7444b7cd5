"""The operator signed in on this console (phiên làm việc), with lock and sign-out.

Qt-free: the console's sign-in dialog and idle lock drive it, panels ask it who acts, and
every change is recorded in the audit log. Listeners are called on the thread that made
the change (the GUI thread in the console) with (operator or None, locked).
"""

from __future__ import annotations

import logging
import threading
from typing import Callable

from controlroom.access.audit import AuditLog
from controlroom.access.operators import NOBODY, Operator

log = logging.getLogger(__name__)

SessionListener = Callable[[Operator | None, bool], None]


class OperatorSession:
    """Who is signed in (None while nobody is); `locked` while the idle lock holds."""

    def __init__(self, audit: AuditLog | None = None) -> None:
        self._audit = audit
        self._lock = threading.Lock()
        self._listeners: list[SessionListener] = []
        self.operator: Operator | None = None
        self.locked = False

    def add_listener(self, listener: SessionListener) -> Callable[[], None]:
        """Call `listener(operator, locked)` after every change; returns the unsubscribe."""
        with self._lock:
            self._listeners.append(listener)

        def remove() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return remove

    def acting_operator(self) -> Operator:
        """Who an action is done by: the signed-in operator; NOBODY (whom the core refuses
        everything) while no one is signed in or the console is locked."""
        if self.operator is None or self.locked:
            return NOBODY
        return self.operator

    def sign_in(self, operator: Operator) -> None:
        self.operator, self.locked = operator, False
        self._record(operator.username, "operator.sign_in", {"role": operator.role.name.lower()})
        self._changed()

    def sign_in_failed(self, username: str) -> None:
        self._record(username or "?", "operator.sign_in_failed")

    def lock(self, reason: str = "idle") -> None:
        if self.operator is None or self.locked:
            return
        self.locked = True
        self._record(self.operator.username, "operator.lock", {"reason": reason})
        self._changed()

    def sign_out(self) -> None:
        if self.operator is None:
            return
        self._record(self.operator.username, "operator.sign_out")
        self.operator, self.locked = None, False
        self._changed()

    def _record(self, actor: str, action: str, detail: dict | None = None) -> None:
        if self._audit is not None:
            self._audit.record(actor, action, "console", detail)

    def _changed(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(self.operator, self.locked)
            except Exception:  # a broken listener must not undo a sign-in
                log.exception("session listener %r failed", listener)
