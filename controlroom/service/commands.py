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

import base64
import binascii
from concurrent.futures import Future, TimeoutError as FutureTimeout
import json
import logging
import queue
import re
import threading
import uuid
from collections import deque
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable

from controlroom.access.operators import Operator, PermissionDenied, authorize
from controlroom.alerts.inbox import EngineBusy
from controlroom.alerts.model import Priority
from controlroom.broadcast.at_service import MAX_AUDIO_BYTES, PROGRAMME_CHANGED_TOPIC
from controlroom.config import ScheduledBroadcastConfig
from controlroom.broadcast.job_payload import job_to_payload
from controlroom.broadcast.jobs import Priority as BroadcastPriority
from controlroom.broadcast.service import BroadcastRefused
from controlroom.flood.damage_report import DamageReportError
from controlroom.flood.duty_log import DutyLogError
from controlroom.i18n import tr
from controlroom.service.refusal_limit import RefusalAuditLimit
from controlroom.service.sessions import SessionTokens

if TYPE_CHECKING:
    from controlroom.core import ControlRoomCore

log = logging.getLogger(__name__)

COMMAND_TOPIC = "room/service/command"
REPLY_PREFIX = "room/service/reply/"
MAX_AGE_S = 120.0  # generous for PCs whose clocks drift apart; far shorter than a service restart
MAX_PENDING = 200
REPLY_TOPIC = re.compile(r"room/service/reply/[A-Za-z0-9_-]{1,64}")  # nothing a broker could refuse
MAX_BULLETIN_CHARS = 4000
MAX_DUTY_NOTE_CHARS = 2000  # a duty log line, not a report
AUDIO_SUFFIXES = {".wav", ".mp3", ".ogg", ".opus", ".m4a"}
MANUAL_SOURCE = re.compile(r"manual/[0-9a-f]{10}")
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


Handler = Callable[[Operator, dict], dict | None]


class CommandChannel:
    def __init__(self, core: "ControlRoomCore", sessions: SessionTokens | None = None,
                 refusal_limit: RefusalAuditLimit | None = None) -> None:
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
        self._ops: dict[str, tuple[str, Handler]] = {
            "alert.acknowledge": ("alert.acknowledge", self._acknowledge),
            "alert.shelve": ("alert.shelve", self._shelve),
            "alert.unshelve": ("alert.shelve", self._unshelve),
            "alert.in_service": ("alert.out_of_service", self._in_service),
            "alert.raise": ("alert.raise", self._raise),
            "broadcast.start": ("broadcast.start", self._start_broadcast),
            "broadcast.retry": ("broadcast.start", self._retry_broadcast),
            "broadcast.stop": ("broadcast.start", self._stop_broadcast),
            "programme.save": ("broadcast.programme", self._save_programme),
            "programme.remove": ("broadcast.programme", self._remove_programme),
            "bulletin.issue": ("broadcast.emergency", self._issue_bulletin),
            "bulletin.cancel": ("broadcast.emergency", self._cancel_bulletin),
            "duty.note": ("duty.note", self._duty_note),
            "duty.start_shift": ("duty.shift", self._start_shift),
            "duty.handover": ("duty.shift", self._handover),
            "damage.open_event": ("damage.report", self._open_damage_event),
            "damage.set_village": ("damage.report", self._set_damage_village),
            "damage.exported": ("damage.report", self._damage_exported),
            "ptz.move": ("camera.ptz", self._ptz_move),
            "ptz.stop": ("camera.ptz", lambda operator, args: self._ptz().stop(operator, _camera(args))),
            "ptz.home": ("camera.ptz", lambda operator, args: self._ptz().goto_home(operator, _camera(args))),
            "ptz.preset": ("camera.ptz", self._ptz_preset),
            "ptz.save_preset": ("camera.ptz", self._ptz_save_preset),
            "ptz.presets": ("camera.ptz", self._ptz_presets),
        }
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

    def _acknowledge(self, operator: Operator, args: dict) -> None:
        self._core.alerts.acknowledge(_ids(args), operator, str(args.get("comment", "")))

    def _shelve(self, operator: Operator, args: dict) -> None:
        self._core.alerts.shelve(_ids(args), operator, str(args["reason"]), float(args["duration_s"]))

    def _unshelve(self, operator: Operator, args: dict) -> None:
        self._core.alerts.unshelve(_ids(args), operator)

    def _in_service(self, operator: Operator, args: dict) -> None:
        in_service = args["in_service"]
        if not isinstance(in_service, bool):
            raise ValueError("in_service must be true or false")
        self._core.alerts.set_in_service(_ids(args), operator, in_service, str(args.get("reason", "")))

    def _raise(self, operator: Operator, args: dict) -> dict:
        priority = Priority[str(args.get("priority", "HIGH")).upper()]
        village = args.get("village")
        if village is not None and village not in {v.id for v in self._core.config.villages}:
            raise ValueError(f"no village {village!r} in this commune")
        source = args.get("source")  # a console names its alert, to follow it before the answer
        if source is not None and not MANUAL_SOURCE.fullmatch(str(source)):
            raise ValueError("source must be manual/ and 10 hex digits")
        return {"alert_id": self._core.alerts.raise_manual(operator, str(args["text"]), priority, village, source)}

    def _issue_bulletin(self, operator: Operator, args: dict) -> dict:
        bulletins = self._core.flood.bulletins
        draft = bulletins.compose(args.get("zone"))
        text = args.get("text")  # the officer's words as edited on the console
        if text is not None:
            if not isinstance(text, str) or not text.strip() or len(text) > MAX_BULLETIN_CHARS:
                raise ValueError(f"text must be 1 to {MAX_BULLETIN_CHARS} characters")
            draft = replace(draft, text=text.strip())
        bulletin = bulletins.issue(draft, operator)
        return {"bulletin_id": bulletin.id, "next_due_at": bulletin.next_due_at.isoformat()}

    def _start_broadcast(self, operator: Operator, args: dict) -> dict:
        """The console's audio (as previewed there) is kept in the media folder and broadcast."""
        service = self._core.broadcast.service
        audio = base64.b64decode(str(args["audio"]), validate=True)
        if not audio or len(audio) > MAX_AUDIO_BYTES:
            raise ValueError(f"audio must be 1 to {MAX_AUDIO_BYTES} bytes")
        suffix = str(args.get("suffix", ".wav"))
        if suffix not in AUDIO_SUFFIXES:
            raise ValueError(f"audio must be one of {', '.join(sorted(AUDIO_SUFFIXES))}")
        path = service.media_dir / f"upload-{uuid.uuid4().hex[:12]}{suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(audio)
        targets = args["targets"]
        if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
            raise ValueError("targets must be a list of speaker ids")
        volume = args.get("volume")
        job = service.start_job(title=str(args["title"])[:200], audio_path=path, duration_s=float(args["duration_s"]),
                                targets=targets, priority=BroadcastPriority(int(args.get("priority", 1))),
                                volume=None if volume is None else int(volume), repeat=int(args.get("repeat", 1)),
                                operator=operator, source_kind=str(args.get("kind", "file"))[:16],
                                text=str(args.get("text", ""))[:MAX_BULLETIN_CHARS])
        return {"job": job_to_payload(job)}

    def _retry_broadcast(self, operator: Operator, args: dict) -> dict:
        speakers = args.get("speakers")
        if speakers is not None and not (isinstance(speakers, list) and all(isinstance(s, str) for s in speakers)):
            raise ValueError("speakers must be a list of speaker ids")
        return {"speakers": self._core.broadcast.service.retry(self._job_id(args), operator, speakers)}

    def _stop_broadcast(self, operator: Operator, args: dict) -> None:
        self._core.broadcast.service.stop_job(self._job_id(args), operator)

    def _job_id(self, args: dict) -> str:
        job_id = str(args["job_id"])
        if self._core.broadcast.service.job(job_id) is None:
            raise ValueError(f"no broadcast {job_id!r} is running at the service")
        return job_id

    def _save_programme(self, operator: Operator, args: dict) -> None:
        entry = ScheduledBroadcastConfig.model_validate(args["entry"])  # a pydantic ValidationError is a ValueError
        self._core.broadcast.programme.save(entry, operator).result(timeout=30)
        self._core.feed.publish(PROGRAMME_CHANGED_TOPIC, {"id": entry.id}, qos=1)

    def _remove_programme(self, operator: Operator, args: dict) -> None:
        entry_id = str(args["id"])
        self._core.broadcast.programme.remove(entry_id, operator).result(timeout=30)
        self._core.feed.publish(PROGRAMME_CHANGED_TOPIC, {"id": entry_id}, qos=1)

    def _cancel_bulletin(self, operator: Operator, args: dict) -> None:
        self._core.flood.bulletins.cancel(str(args["bulletin_id"]), operator, str(args.get("reason", "")))

    # -- answers -------------------------------------------------------------------------------

    def _duty_note(self, operator: Operator, args: dict) -> None:
        text = args.get("text")
        if not isinstance(text, str) or len(text) > MAX_DUTY_NOTE_CHARS:
            raise ValueError(f"text must be a string of at most {MAX_DUTY_NOTE_CHARS} characters")
        self._core.flood.duty_log.note(operator, text).result(timeout=30)

    def _start_shift(self, operator: Operator, args: dict) -> dict:
        return {"shift_id": self._core.flood.duty_log.start_shift(operator)}

    def _handover(self, operator: Operator, args: dict) -> dict:
        fields = {name: args.get(name, "") for name in ("outgoing_password", "incoming", "incoming_password", "note")}
        if not all(isinstance(value, str) for value in fields.values()):
            raise ValueError("outgoing_password, incoming, incoming_password and note must be strings")
        return {"shift_id": self._core.flood.duty_log.handover_signed(
            operator, fields["outgoing_password"], fields["incoming"], fields["incoming_password"], fields["note"])}

    def _open_damage_event(self, operator: Operator, args: dict) -> dict:
        started_at = datetime.fromisoformat(str(args["started_at"]))
        detail = args.get("detail") or {}
        if not isinstance(detail, dict) or not all(isinstance(k, str) and k.isidentifier() for k in detail):
            raise ValueError("detail must be an object with plain keys")
        return {"event_id": self._core.flood.damage.open_event(operator, str(args.get("hazard", "")), started_at, **detail)}

    def _set_damage_village(self, operator: Operator, args: dict) -> None:
        figures = args["figures"]
        if not isinstance(figures, dict):
            raise ValueError("figures must be an object of indicator: number")
        self._core.flood.damage.set_village(operator, str(args["event_id"]), str(args["village"]), figures)

    def _damage_exported(self, operator: Operator, args: dict) -> None:
        paths, totals = args.get("paths", []), args.get("totals", {})
        if not isinstance(paths, list) or not isinstance(totals, dict):
            raise ValueError("paths must be a list and totals an object")
        self._core.flood.damage.record_export(operator, str(args["event_id"]), int(args["number"]),
                                              [str(p) for p in paths], totals)

    def _ptz(self):
        return self._core.cameras.ptz

    def _ptz_move(self, operator: Operator, args: dict) -> None:
        pan, tilt, zoom = (float(args.get(axis, 0.0)) for axis in ("pan", "tilt", "zoom"))
        self._ptz().move(operator, _camera(args), pan, tilt, zoom)

    def _ptz_preset(self, operator: Operator, args: dict) -> Future:
        return _then(self._ptz().goto_preset(operator, _camera(args), str(args["preset"])), lambda token: {"token": token})

    def _ptz_save_preset(self, operator: Operator, args: dict) -> Future:
        return _then(self._ptz().save_preset(operator, _camera(args), str(args["preset"])), lambda token: {"token": token})

    def _ptz_presets(self, operator: Operator, args: dict) -> Future:
        return _then(self._ptz().presets(_camera(args)),
                     lambda presets: {"presets": [{"token": p.token, "name": p.name} for p in presets]})

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
    if isinstance(exc, (BroadcastRefused, DutyLogError, DamageReportError)):  # already in the operator's words
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


def _then(future: Future, convert) -> Future:
    """`future`'s result converted (an answer for the command channel), its failure as is."""
    answer: Future = Future()

    def done(source: Future) -> None:
        try:
            answer.set_result(convert(source.result()))
        except Exception as exc:  # noqa: BLE001 (answered as a refusal)
            answer.set_exception(exc)

    future.add_done_callback(done)
    return answer


def _camera(args: dict) -> str:
    camera = args["camera"]
    if not isinstance(camera, str) or not camera:
        raise ValueError("camera must be a camera id")
    return camera


def _ids(args: dict) -> list[str]:
    ids = args["ids"]
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise ValueError("ids must be a non-empty list of alert ids")
    return ids


def request_body(op: str, args: dict[str, Any] | None, session: str | None, reply_to: str, request_id: str) -> bytes:
    """A request as a console (or a test's raw client) sends it."""
    import time

    return json.dumps({"id": request_id, "reply_to": reply_to, "sent_at": int(time.time() * 1000),
                       "session": session, "op": op, "args": args or {}}, ensure_ascii=False).encode("utf-8")
