"""The command channel: operators' actions reach the service as MQTT requests, each carrying
the operator's session; the service checks the role, acts, audits, and answers.

Request, QoS 1 on ``<site>/room/service/command``::

    {"id": "<correlation id>", "reply_to": "room/service/reply/<console>", "sent_at": <epoch ms>,
     "session": "<token from sign_in>", "op": "alert.acknowledge", "args": {...}}

Answer, QoS 1 on ``<site>/<reply_to>`` (always under ``room/service/reply/``)::

    {"id": "<same>", "ok": true, "result": {...}}   or   {"id": …, "ok": false, "error": "<code>", "message": "<words>"}

Correlation travels in the JSON body, not in MQTT 5 properties, so the same channel works on
the embedded MQTT 3.1.1 demo broker. A request older than MAX_AGE_S (one held by the broker
while the service was down) is refused, never acted on late. Every refusal is audited
(``command.refused``) and changes nothing. Requests are handled in order on one worker
thread (a sign-in checks a password: ~50 ms by design); at most MAX_PENDING wait, past that
a request is answered "busy" at once.
"""

from __future__ import annotations

import binascii
from concurrent.futures import Future, TimeoutError as FutureTimeout
import json
import logging
import queue
import re
import threading
from pathlib import Path
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from controlroom.access.operators import Operator, PermissionDenied, authorize
from controlroom.alerts.inbox import EngineBusy
from controlroom.broadcast.service import BroadcastRefused
from controlroom.cameras.add_to_config import CameraNotAdded
from controlroom.flood.damage_report import DamageReportError
from controlroom.flood.duty_log import DutyLogError
from controlroom.i18n import tr
from controlroom.service.refusal_limit import RefusalAuditLimit
from controlroom.service.room_ops import RoomOperations
from controlroom.service.sessions import SessionTokens

if TYPE_CHECKING:
    from controlroom.core import ControlRoomCore

log = logging.getLogger(__name__)

COMMAND_TOPIC = "room/service/command"
REPLY_PREFIX = "room/service/reply/"
MAX_AGE_S = 120.0  # generous for PCs whose clocks drift apart; far shorter than a service restart
MAX_PENDING = 200
REPLY_TOPIC = re.compile(r"room/service/reply/[A-Za-z0-9_-]{1,64}")  # nothing a broker could refuse
SEEN_IDS = 10_000  # request ids remembered (for MAX_AGE_S): a redelivered or replayed one is not done twice


class Refused(Exception):
    """A request the service will not act on: `code` for programs, the message for operators."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Request:
    id: str
    reply_to: str
    sent_at: datetime
    session: object
    op: str
    args: dict


class CommandChannel:
    def __init__(self, core: "ControlRoomCore", sessions: SessionTokens | None = None,
                 refusal_limit: RefusalAuditLimit | None = None, config_path: Path | None = None) -> None:
        """Subscribes at once (before the core's feed connects); handles requests after start()."""
        self._core = core
        self.sessions = sessions or SessionTokens()
        self.refusal_limit = refusal_limit or RefusalAuditLimit()
        self._queue: queue.Queue[Request | None] = queue.Queue(MAX_PENDING)
        self._thread: threading.Thread | None = None
        self.handled = 0
        self.refused = 0
        self._seen: deque[str] = deque(maxlen=SEEN_IDS)
        self._seen_set: set[str] = set()
        self._ops = RoomOperations(core, config_path).table()
        core.feed.subscribe_extra(COMMAND_TOPIC, self._on_message)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="command-channel", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        try:
            self._queue.put(None, timeout=5)
        except queue.Full:
            pass
        self._thread.join(10)
        self._thread = None

    # -- network thread: parse, queue ---------------------------------------------------------

    def _on_message(self, topic: str, payload: bytes) -> None:
        try:
            request = _parse(payload)
        except Refused as exc:
            log.warning("command refused before parsing: %s", exc)
            self._audit_refusal("?", "?", exc.code, "")
            return  # no valid reply_to: nobody to answer
        try:
            self._queue.put_nowait(request)
        except queue.Full:
            self._refuse(request, "?", Refused("busy", tr("The service is busy; try again in a moment.")))

    # -- worker thread: authorize, act, answer ------------------------------------------------

    def _run(self) -> None:
        while (request := self._queue.get()) is not None:
            try:
                self._handle(request)
            except Exception:  # one bad command must not end the channel
                log.exception("command %s failed unexpectedly", request.op)

    def _handle(self, request: Request) -> None:
        now = datetime.now(timezone.utc)
        operator = None if request.op == "sign_in" else self._current(request.session, now, request.reply_to)
        actor = operator.username if operator is not None else "?"  # who to name in a refusal's audit
        try:
            if abs((now - request.sent_at).total_seconds()) > MAX_AGE_S:  # late, or a clock far ahead
                raise Refused("stale", tr("The command arrived too late and was not carried out; send it again."))
            if not self._first_time(request.id):
                raise Refused("duplicate", tr("This command was already received; it is not carried out twice."))
            if request.op == "sign_in":
                try:
                    self._answer(request, self._sign_in(request.args, now, request.reply_to))
                except Refused as exc:  # audited as operator.sign_in_failed already
                    self._refuse(request, actor, exc, audit=False)
                return
            if operator is None:
                raise Refused("no_session", tr("Not signed in, or the session has expired: sign in again."))
            actor = operator.username
            if request.op == "sign_out":
                self.sessions.revoke(str(request.session))
                self._core.access.audit.record(actor, "operator.sign_out", "command channel")
                self._answer(request, {})
                return
            if request.op == "session.lock":  # a console's idle lock or Ctrl+L, for the audit log
                self._core.access.audit.record(actor, "operator.lock", "console",
                                               {"reason": str(request.args.get("reason", ""))[:32],
                                                "console": request.reply_to.removeprefix(REPLY_PREFIX)})
                self._answer(request, {})
                return
            if request.op not in self._ops:
                raise Refused("unknown_op", tr("Unknown command: {op}", op=request.op))
            permission, handler = self._ops[request.op]
            try:
                authorize(operator, permission)
                result = handler(operator, request.args)
            except Exception as exc:
                refusal = _refusal(exc)
                if refusal is None:
                    raise
                raise refusal from exc
            if isinstance(result, Future):  # a camera's answer: the channel does not wait for it
                result.add_done_callback(lambda done, request=request, actor=actor: self._answer_later(request, actor, done))
                return
            self.handled += 1
            self._answer(request, result or {})
        except Refused as exc:
            self._refuse(request, actor, exc)
        except Exception as exc:
            log.exception("command %s failed", request.op)
            self._refuse(request, actor, _failed(exc))

    def _answer_later(self, request: Request, actor: str, done: Future) -> None:
        """The answer to a command whose result came later (any thread)."""
        try:
            result = done.result()
        except Exception as exc:
            refusal = _refusal(exc)
            if refusal is None:
                log.error("command %s failed", request.op, exc_info=exc)
            self._refuse(request, actor, refusal or _failed(exc))
            return
        self.handled += 1
        self._answer(request, result or {})

    def _current(self, token: object, now: datetime, console: str) -> Operator | None:
        """The session's operator with the account's role as it is now: a demoted account acts
        with its new role at once, a deactivated one not at all (its sessions end). Only on
        the console the session was granted to."""
        operator = self.sessions.operator(token, now, console)
        if operator is None:
            return None
        current = self._core.access.account(operator.username)
        if current is None:
            self.sessions.revoke(str(token))
        return current

    def _first_time(self, request_id: str) -> bool:
        if request_id in self._seen_set:
            return False
        if len(self._seen) == self._seen.maxlen:
            self._seen_set.discard(self._seen[0])
        self._seen.append(request_id)
        self._seen_set.add(request_id)
        return True

    def _sign_in(self, args: dict, now: datetime, console: str) -> dict:
        username, password = str(args.get("username", "")), str(args.get("password", ""))
        operator = self._core.access.authenticate(username, password)
        if operator is None:
            self._core.access.audit.record(username or "?", "operator.sign_in_failed", "command channel")
            raise Refused("denied", tr("Wrong user name or password."))
        grant = self.sessions.grant(operator, now, console)
        self._core.access.audit.record(operator.username, "operator.sign_in", "command channel",
                                       {"role": operator.role.name.lower()})
        return {"session": grant.token, "expires_at": grant.expires_at.isoformat(),
                "operator": {"username": operator.username, "display_name": operator.display_name,
                             "role": operator.role.name.lower()}}

    # -- the operations ---------------------------------------------------------------------

    def _answer(self, request: Request, result: dict) -> None:
        self._publish(request, {"id": request.id, "ok": True, "result": result})

    def _refuse(self, request: Request, actor: str, exc: Refused, audit: bool = True) -> None:
        self.refused += 1
        if audit:
            self._audit_refusal(actor, request.op, exc.code, request.reply_to)
        self._publish(request, {"id": request.id, "ok": False, "error": exc.code, "message": str(exc)})

    def _publish(self, request: Request, body: dict) -> None:
        self._core.feed.publish(request.reply_to, body, qos=1)

    def _audit_refusal(self, actor: str, op: str, code: str, reply_to: str) -> None:
        """Audited within the limit (refusal_limit.py); past it only counted, and the count
        recorded with the next refusal after the window."""
        audit, left_out = self.refusal_limit.admit()
        audit_log = self._core.access.audit
        if left_out:
            log.warning("%d refused commands were not audited one by one (too many in a minute)", left_out)
            audit_log.record("?", "command.refused_suppressed", "command channel", {"count": left_out})
        if audit:
            console = reply_to.removeprefix(REPLY_PREFIX)
            audit_log.record(actor, "command.refused", op[:64], {"reason": code, "console": console[:64]})


def _parse(payload: bytes) -> Request:
    try:
        body = json.loads(payload)
        if not isinstance(body, dict):
            raise ValueError("not an object")
        reply_to = str(body["reply_to"])
        if not REPLY_TOPIC.fullmatch(reply_to):
            raise ValueError("reply_to must be room/service/reply/<letters, digits, - or _>")
        args = body.get("args") or {}
        if not isinstance(args, dict):
            raise ValueError("args must be an object")
        sent_at = datetime.fromtimestamp(float(body["sent_at"]) / 1000.0, timezone.utc)
        return Request(str(body["id"])[:64], reply_to, sent_at, body.get("session"), str(body["op"])[:64], args)
    except (KeyError, TypeError, ValueError, OverflowError, UnicodeDecodeError) as exc:
        raise Refused("malformed", f"malformed command: {exc}") from exc


def _refusal(exc: Exception) -> Refused | None:
    """What the operator reads when a command's handler raised `exc`; None for the unforeseen."""
    if isinstance(exc, PermissionDenied):
        return Refused("denied", str(exc))
    if isinstance(exc, EngineBusy):
        return Refused("busy", tr("The service is busy; try again in a moment."))
    if isinstance(exc, (BroadcastRefused, DutyLogError, DamageReportError, CameraNotAdded)):  # the operator's words
        return Refused("refused", str(exc))
    if isinstance(exc, (KeyError, TypeError, ValueError, binascii.Error)):
        return Refused("invalid", tr("The command is incomplete or wrong: {reason}", reason=str(exc)))
    if isinstance(exc, LookupError):  # no such camera or preset: already in the operator's words
        return Refused("refused", str(exc))
    if isinstance(exc, FutureTimeout):
        return Refused("timeout", tr("No answer came in time (a camera or the database); try again."))
    return None


def _failed(exc: Exception) -> Refused:
    return Refused("failed", tr("The service could not carry out the command: {reason}",
                                reason=str(exc) or type(exc).__name__))


def request_body(op: str, args: dict[str, Any] | None, session: str | None, reply_to: str, request_id: str) -> bytes:
    """A request as a console (or a test's raw client) sends it."""
    import time

    return json.dumps({"id": request_id, "reply_to": reply_to, "sent_at": int(time.time() * 1000),
                       "session": session, "op": op, "args": args or {}}, ensure_ascii=False).encode("utf-8")
