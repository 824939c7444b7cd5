"""Operator sessions of the command channel: a random token per sign-in, with an expiry.

The service signs an operator in (password checked against the accounts table) and hands back
a token; every later command carries it, from the same console: a token is bound to the reply
topic it was granted on, so a token copied off the broker is no use to another client.
Tokens live in memory only: a restarted service asks
consoles to sign in again. Bounded: at most MAX_SESSIONS; when full, the oldest is dropped
(that console is asked to sign in again).
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from controlroom.access.operators import Operator

MAX_SESSIONS = 1_000
SESSION_HOURS = 12.0  # one duty shift and a half


@dataclass(frozen=True)
class SessionGrant:
    token: str
    operator: Operator
    expires_at: datetime
    console: str = ""  # the reply topic of the console that signed in


class SessionTokens:
    def __init__(self, hours: float = SESSION_HOURS, max_sessions: int = MAX_SESSIONS) -> None:
        self._lifetime = timedelta(hours=hours)
        self._max = max_sessions
        self._grants: OrderedDict[str, SessionGrant] = OrderedDict()
        self._lock = threading.Lock()

    def grant(self, operator: Operator, now: datetime, console: str = "") -> SessionGrant:
        grant = SessionGrant(secrets.token_urlsafe(24), operator, now + self._lifetime, console)
        with self._lock:
            self._grants[grant.token] = grant
            while len(self._grants) > self._max:
                self._grants.popitem(last=False)
        return grant

    def operator(self, token: object, now: datetime, console: str = "") -> Operator | None:
        """Who holds `token` on `console`, or None (unknown, forged, expired, or from another
        console than the one it was granted to: an expired one is forgotten)."""
        if not isinstance(token, str):
            return None
        with self._lock:
            grant = self._grants.get(token)
            if grant is None or grant.console != console:
                return None
            if grant.expires_at <= now:
                del self._grants[token]
                return None
            return grant.operator

    def revoke(self, token: str) -> None:
        with self._lock:
            self._grants.pop(token, None)

    def __len__(self) -> int:
        return len(self._grants)
