"""Access to the room: the audit log every duty writes to, accounts, and this console's session."""

from __future__ import annotations

from sqlalchemy import Engine

from controlroom.access.audit import AuditLog
from controlroom.access.operators import Operator, active_account, authenticate, count_active
from controlroom.access.session import OperatorSession


class AccessService:
    """`audit` is shared by every capability; `session` is who is signed in on this console.

    `authenticate` and `count_accounts` read the database (scrypt takes ~50 ms by design):
    call them off the GUI thread."""

    def __init__(self, engine: Engine, storage, site_id: str) -> None:
        self._engine = engine
        self._site_id = site_id
        self.audit = AuditLog(storage, site_id)
        self.session = OperatorSession(self.audit)

    def authenticate(self, username: str, password: str) -> Operator | None:
        return authenticate(self._engine, self._site_id, username, password)

    def account(self, username: str) -> Operator | None:
        """The account's current role, or None if it is no longer active (reads the database)."""
        return active_account(self._engine, self._site_id, username)

    def count_accounts(self) -> int:
        return count_active(self._engine, self._site_id)

    def stop(self) -> None:
        """Nothing runs here; the audit log's writes belong to the storage writer."""
