"""Access to the room: the audit log every duty writes to, accounts, and this console's session."""

from __future__ import annotations

import logging

from sqlalchemy import Engine

from controlroom.access.audit import AuditLog
from controlroom.access.operators import Operator, active_account, authenticate, count_active
from controlroom.access.session import OperatorSession
from controlroom.service.client import CommandFailed

log = logging.getLogger(__name__)


class AccessService:
    """`audit` is shared by every capability; `session` is who is signed in on this console.

    `authenticate` and `count_accounts` read the database (scrypt takes ~50 ms by design):
    call them off the GUI thread."""

    def __init__(self, engine: Engine, storage, site_id: str, commands=None) -> None:
        """`commands` (a CommandClient): this console is attached to its site's service, which
        checks passwords, grants the session every command carries, and audits the session."""
        self._engine = engine
        self._site_id = site_id
        self._commands = commands
        self.audit = AuditLog(storage, site_id)
        self.session = OperatorSession(self.audit if commands is None else _SessionAuditAtService(commands))

    def authenticate(self, username: str, password: str) -> Operator | None:
        if self._commands is not None:
            try:
                return self._commands.sign_in(username, password)
            except CommandFailed as exc:
                if exc.code not in ("service_down", "timeout"):
                    raise
                # the service is away: the operator may still see the room (every command will be
                # refused until they sign in again with the service back)
                log.warning("sign-in checked by this console: the service does not answer (%s)", exc.code)
        return authenticate(self._engine, self._site_id, username, password)

    def account(self, username: str) -> Operator | None:
        """The account's current role, or None if it is no longer active (reads the database)."""
        return active_account(self._engine, self._site_id, username)

    def count_accounts(self) -> int:
        return count_active(self._engine, self._site_id)

    def stop(self) -> None:
        """Nothing runs here; the audit log's writes belong to the storage writer."""


class _SessionAuditAtService:
    """An attached console's session events, told to the service (which audits them): sign-in
    and its failures were audited when the service checked the password; a sign-out ends the
    service's session; a lock is recorded there."""

    def __init__(self, commands) -> None:
        self._commands = commands

    def record(self, actor: str, action: str, target: str = "", detail: dict | None = None) -> None:
        if action == "operator.sign_out":
            self._commands.sign_out()
        elif action == "operator.lock":
            self._commands.send("session.lock", {"reason": (detail or {}).get("reason", "")})
