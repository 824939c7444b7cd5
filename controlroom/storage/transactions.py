"""Work in one transaction that waits out a database outage: transient errors (the server down,
busy, locked, full, the link cut) are retried with backoff until the work commits, and the
link state goes on the bus as ``ConnectionState("database", …)`` when it changes.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from controlroom.bus import EventBus
from controlroom.domain import ConnectionState
from controlroom.storage.db import IMMEDIATE

log = logging.getLogger("controlroom.storage.writer")  # the writer's retries, under the writer's name


class GaveUp(Exception):
    """The database stayed unreachable past the give-up deadline (a stopping writer)."""


def is_transient(exc: BaseException) -> bool:
    """Errors worth retrying: the database is down, busy, locked, full or the link broke."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


class RetryingTransactions:
    """`run(work, what)` on the writer thread; `give_up_after(s)` when stopping."""

    def __init__(self, engine: Engine, bus: EventBus) -> None:
        self._engine = engine
        self._bus = bus
        self.connected: bool | None = None
        self.last_error: str | None = None
        self._give_up_at: float | None = None
        self._wakeup = threading.Event()

    def reset(self) -> None:
        """A (re)started writer waits for the database again without a deadline."""
        self._give_up_at = None
        self._wakeup = threading.Event()

    def give_up_after(self, timeout_s: float) -> None:
        """Stop retrying `timeout_s` from now (raise GaveUp), and end the current wait early."""
        self._give_up_at = time.monotonic() + timeout_s
        self._wakeup.set()

    def run(self, work: Callable[[Connection], Any], what: str) -> Any:
        """Run `work` in one transaction; retry transient errors with backoff until it commits."""
        delay = 0.2
        while True:
            try:
                with self._engine.connect() as connection:
                    connection.execution_options(**IMMEDIATE)
                    with connection.begin():
                        result = work(connection)
                self._set_connected(True, "")
                return result
            except DBAPIError as exc:
                if not is_transient(exc):
                    raise
                first_line = (str(exc.orig).strip().splitlines() or [""])[0]
                detail = f"{what}: {type(exc.orig).__name__}: {first_line}"
                self.last_error = detail
                self._set_connected(False, detail)
                give_up_at = self._give_up_at
                if give_up_at is not None:  # stopping: retry until the deadline, then give up
                    if time.monotonic() >= give_up_at:
                        raise GaveUp() from exc
                    time.sleep(min(delay, max(give_up_at - time.monotonic(), 0.0)))
                else:
                    self._wakeup.wait(delay)  # a stop cuts the wait short
                delay = min(delay * 2, 5.0)

    def _set_connected(self, connected: bool, detail: str) -> None:
        if self.connected == connected:
            return
        self.connected = connected
        if connected:
            log.info("database reachable")
        else:
            log.warning("database unavailable, retrying: %s", detail)
        self._bus.publish(ConnectionState("database", connected, detail))
