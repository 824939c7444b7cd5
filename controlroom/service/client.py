"""A console's side of the command channel: send an operator's action to the site's service
with the session's token and learn how it ended.

``send`` never waits: it returns a Future that the service's answer (on the network thread)
or the timeout completes. Every outcome is also put on the bus as a ``CommandOutcome``, so the
console says in one place what the service did or refused, in the operator's words. At most
MAX_PENDING requests wait for an answer; past that a request is refused here at once (the
service is not answering; more requests would only pile up).

``sign_in`` waits (call it off the GUI thread): the session's token is what every later
request carries, and the answer's operator (name and current role) is who the console shows.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Callable

from controlroom.access.operators import Operator, Role
from controlroom.i18n import tr
from controlroom.service.commands import COMMAND_TOPIC, REPLY_PREFIX, request_body

log = logging.getLogger(__name__)

ANSWER_TIMEOUT_S = 10.0  # far above a healthy round trip (tens of ms), well below an operator's patience
MAX_PENDING = 100


class CommandFailed(Exception):
    """The service refused the request, or did not answer: `code` for programs, the message
    (in the operator's language) for the screen."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def refused_as(error: type[Exception]) -> Callable[[BaseException], BaseException]:
    """For `futures.then`: the service's refusal as `error` with its words; other failures as they are."""
    return lambda exc: error(str(exc)) if isinstance(exc, CommandFailed) else exc


@dataclass(frozen=True)
class CommandOutcome:
    """On the bus after every request: what was asked, whether it was done, and the words."""

    op: str
    ok: bool
    message: str = ""
    code: str = ""


class CommandClient:
    def __init__(self, feed, bus, console_id: str, timeout_s: float = ANSWER_TIMEOUT_S,
                 service_down: Callable[[], bool] | None = None) -> None:
        """Subscribes this console's reply topic at once (call before the feed starts).
        `service_down()` true: requests are refused at once instead of waiting for the timeout."""
        self._feed = feed
        self._bus = bus
        self._service_down = service_down or (lambda: False)
        self._timeout_s = timeout_s
        self.reply_to = REPLY_PREFIX + re.sub(r"[^A-Za-z0-9_-]", "-", console_id)[:64]
        self._lock = threading.Lock()
        self._pending: dict[str, tuple[str, Future, threading.Timer]] = {}
        self.session: str | None = None
        self.refused = 0  # requests refused or unanswered so far; the status bar shows the last one
        self.last_refusal = ""
        feed.subscribe_extra(self.reply_to, self._on_reply)

    # -- requests ------------------------------------------------------------------------------

    def send(self, op: str, args: dict[str, Any] | None = None) -> Future:
        """Publish the request; the Future holds the result dict, or raises CommandFailed."""
        future: Future = Future()
        request_id = uuid.uuid4().hex
        timer = threading.Timer(self._timeout_s, self._expire, (request_id,))
        timer.daemon = True
        if self._service_down():
            self._finish(op, future, CommandFailed("service_down", tr(
                "The room's service is not running: the command was not sent.")))
            return future
        with self._lock:
            if len(self._pending) >= MAX_PENDING:
                self._finish(op, future, CommandFailed("busy", tr("The service is not answering; try again in a moment.")))
                return future
            self._pending[request_id] = (op, future, timer)
        timer.start()
        self._feed.publish(COMMAND_TOPIC, request_body(op, args, self.session, self.reply_to, request_id), qos=1)
        return future

    def sign_in(self, username: str, password: str) -> Operator | None:
        """The service checks the password and opens a session (blocks up to the timeout).
        None for a wrong name or password; CommandFailed if the service cannot be asked."""
        try:
            result = self.send("sign_in", {"username": username, "password": password}).result()
        except CommandFailed as exc:
            if exc.code == "denied":
                return None
            raise
        self.session = result["session"]
        who = result["operator"]
        return Operator(who["username"], who.get("display_name") or who["username"], Role[who["role"].upper()])

    def sign_out(self) -> None:
        """End the session at the service (without waiting); later requests carry none."""
        if self.session is not None:
            self.send("sign_out")
        self.session = None

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    # -- answers (network thread) and timeouts (timer threads) ---------------------------------

    def _on_reply(self, _topic: str, payload: bytes) -> None:
        try:
            body = json.loads(payload)
            request_id = str(body["id"])
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("answer from the service not understood: %s", exc)
            return
        with self._lock:
            entry = self._pending.pop(request_id, None)
        if entry is None:
            return  # answered after its timeout, or another run's: the outcome was already told
        op, future, timer = entry
        timer.cancel()
        if body.get("ok"):
            self._finish(op, future, body.get("result") or {})
        else:
            self._finish(op, future, CommandFailed(str(body.get("error", "failed")), str(body.get("message", ""))))

    def _expire(self, request_id: str) -> None:
        with self._lock:
            entry = self._pending.pop(request_id, None)
        if entry is not None:
            op, future, _ = entry
            self._finish(op, future, CommandFailed("timeout", tr(
                "The service did not answer; the command may not have been carried out. Check, then try again.")))

    def _finish(self, op: str, future: Future, outcome: dict | CommandFailed) -> None:
        if isinstance(outcome, CommandFailed):
            self.last_refusal, self.refused = str(outcome), self.refused + 1
            future.set_exception(outcome)
            self._bus.publish(CommandOutcome(op, False, str(outcome), outcome.code))
        else:
            future.set_result(outcome)
            self._bus.publish(CommandOutcome(op, True))
