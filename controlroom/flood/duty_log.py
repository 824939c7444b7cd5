"""The duty log (sổ trực ban) of flood duty, riding on the hash-chained audit log.

Every entry is an audit row: the shift's start (``duty.shift_start``), free-text entries
(``duty.note``), events appended automatically (``duty.event``: alert raised/acknowledged,
risk level change, device outage) and everything else the audit already holds in the shift's
window (broadcasts, bulletins). The handover (``duty.handover``) is signed by the outgoing
and the incoming officer and names the last entry it covers (``through_seq`` and its hash),
so after sign-off no entry can change without ``verify_chain``/``verify_shift`` noticing,
and new entries go to the incoming officer's shift. Shifts are found from the audit rows, so
two consoles on one database share one log.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Engine, select

from controlroom.access.audit import append_entry, verify_chain
from controlroom.domain import ConnectionState, DeviceStatus, HistoryBacklog
from controlroom.feeds.client_ids import console_host
from controlroom.flood.risk import FORECAST
from controlroom.i18n import format_number, tr
from controlroom.access.operators import Operator, Role, authenticate, authorize
from controlroom.storage.models import audit_log, from_ms

log = logging.getLogger(__name__)

SHIFT_START, NOTE, EVENT, HANDOVER = "duty.shift_start", "duty.note", "duty.event", "duty.handover"


class DutyLogError(Exception):
    """A duty log request that cannot be done; the message is for the officer."""


@dataclass(frozen=True)
class Shift:
    id: str
    officer: str
    officer_name: str
    start_seq: int
    started_at: datetime
    end_seq: int | None = None
    ended_at: datetime | None = None
    incoming: str | None = None

    @property
    def signed_off(self) -> bool:
        return self.end_seq is not None


@dataclass(frozen=True)
class DutyEntry:
    seq: int
    ts: datetime
    actor: str
    action: str
    target: str
    detail: dict


def _ts(value) -> datetime:
    return value if isinstance(value, datetime) else from_ms(value)


class DutyLog:
    """The shift log; automatic entries come from the bus (outages, risk levels, alerts).

    Bus callbacks only queue a write on the storage writer: the open shift is looked up
    inside that write, never on the publishing thread."""

    def __init__(self, config, engine: Engine, storage, bus=None, audit=None) -> None:
        from controlroom.alerts.model import AlertChanged
        from controlroom.flood.monitor import RiskLevelChanged

        self.config = config
        self._engine = engine
        self._storage = storage
        self._site = config.site.id
        self._alerts_seen: dict[str, tuple[int, bool]] = {}  # alerts in the queue: (raise count, acked)
        self._link_up: dict[str, bool] = {}
        self._unsubscribe = []
        if bus is not None:
            self._unsubscribe = [bus.subscribe(DeviceStatus, self._on_device),
                                 bus.subscribe(ConnectionState, self._on_link),
                                 bus.subscribe(RiskLevelChanged, self._on_risk),
                                 bus.subscribe(AlertChanged, self._on_alert),
                                 bus.subscribe(HistoryBacklog, self._on_backlog)]

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []

    # -- writing --------------------------------------------------------------------------
    def _append(self, actor: str, action: str, target: str, detail: dict):
        ts = datetime.now(timezone.utc)
        return self._storage.execute(lambda conn: append_entry(conn, self._site, ts, actor, action, target, detail))

    def start_shift(self, officer: Operator) -> str:
        """Open a shift for `officer` (only when no shift is open)."""
        authorize(officer, "duty.shift")
        if self.current_shift() is not None:
            raise DutyLogError(tr("A shift is already open; hand it over first."))
        shift_id = "shift-" + uuid.uuid4().hex[:8]
        self._append(officer.username, SHIFT_START, shift_id,
                     {"officer": officer.username, "name": officer.display_name}).result(timeout=30)
        return shift_id

    def note(self, operator: Operator, text: str):
        """Append the operator's free text; returns the write's Future."""
        authorize(operator, "duty.note")
        text = text.strip()
        if not text:
            raise DutyLogError(tr("A duty log entry needs text."))
        shift = self.current_shift()
        return self._append(operator.username, NOTE, shift.id if shift else "", {"text": text})

    def event(self, kind: str, text: str, **detail):
        """Append an automatic entry (alert, acknowledgement, level change, outage) to the
        shift open when the writer gets to it; never reads the database on the caller's thread."""
        ts = datetime.now(timezone.utc)
        entry = {"kind": kind, "text": text, **detail}

        def write(conn):
            shift = _open_shift(self._shifts(conn))
            append_entry(conn, self._site, ts, "system", EVENT, shift.id if shift else "", entry)

        return self._storage.execute(write)

    def handover_signed(self, acting: Operator, outgoing_password: str, incoming_user: str, incoming_password: str,
                        note: str = "") -> str:
        """Hand the open shift over with both officers' passwords (checked here, ~50 ms each:
        call off the GUI thread). `acting` is who asks at the console."""
        authorize(acting, "duty.shift")
        shift = self.current_shift()
        if shift is None:
            raise DutyLogError(tr("No shift is open."))
        outgoing = authenticate(self._engine, self._site, shift.officer, outgoing_password)
        incoming = authenticate(self._engine, self._site, incoming_user, incoming_password)
        if outgoing is None or incoming is None:
            raise DutyLogError(tr("A user name or password is wrong; the handover is not signed."))
        return self.handover(outgoing, incoming, note)

    def handover(self, outgoing: Operator, incoming: Operator, note: str = "") -> str:
        """Close the open shift with both officers' sign-off and open the incoming one's shift.
        Both operators must have been authenticated by the caller (password at the console)."""
        shift = self.current_shift()
        if shift is None:
            raise DutyLogError(tr("No shift is open."))
        if outgoing.username != shift.officer:
            raise DutyLogError(tr("Only the officer on duty ({name}) can hand over.", name=shift.officer_name))
        if incoming.username == outgoing.username:
            raise DutyLogError(tr("The incoming officer must be someone else."))
        authorize(incoming, "duty.shift")
        ts = datetime.now(timezone.utc)
        new_shift = "shift-" + uuid.uuid4().hex[:8]

        def write(conn):
            last = conn.execute(select(audit_log.c.seq, audit_log.c.hash).where(audit_log.c.site_id == self._site)
                                .order_by(audit_log.c.seq.desc()).limit(1)).one()
            append_entry(conn, self._site, ts, outgoing.username, HANDOVER, shift.id, {
                "outgoing": outgoing.username, "outgoing_name": outgoing.display_name,
                "incoming": incoming.username, "incoming_name": incoming.display_name,
                "signed_by": [outgoing.username, incoming.username], "note": note.strip(),
                "through_seq": last.seq, "through_hash": last.hash})
            append_entry(conn, self._site, ts, incoming.username, SHIFT_START, new_shift,
                         {"officer": incoming.username, "name": incoming.display_name, "after": shift.id})

        self._storage.execute(write).result(timeout=30)
        return new_shift

    # -- automatic entries ----------------------------------------------------------------
    def _on_device(self, status: DeviceStatus) -> None:
        """A device that went offline, by its name; a console closing is no outage."""
        if status.online or console_host(self.config, status.device_id) is not None:
            return
        names = self.config.device_names()
        self.event("outage", tr("Device {id} went offline", id=names.get(status.device_id, status.device_id)),
                   device=status.device_id)

    def _on_link(self, state: ConnectionState) -> None:
        if state.link == "broker" and state.connected != self._link_up.get(state.link, True):
            self._link_up[state.link] = state.connected
            text = tr("Broker link restored") if state.connected else tr("Broker link lost: {detail}", detail=state.detail)
            self.event("outage", text, link=state.link, connected=state.connected)

    def _on_risk(self, change) -> None:
        """A change of level, by the station's name and in words (the first reckoning after a
        start, at the level it was, is no change)."""
        if change.old_level == change.new_level:
            return
        station = next((s.name for s in self.config.sensors if s.id == change.sensor_id), change.sensor_id)
        basis = tr("forecast") if change.basis == FORECAST else tr("measured")
        self.event("risk_level", tr("Risk level at {station}: {old} → {new} ({basis})", station=station,
                                    old=change.old_level, new=change.new_level, basis=basis),
                   sensor=change.sensor_id, level=change.new_level)

    def _on_backlog(self, backlog: HistoryBacklog) -> None:
        """One entry per backlog: what a sensor sent late (stored, plotted, never alarmed on)."""
        sensor = next((s for s in self.config.sensors if s.id == backlog.sensor_id), None)
        tz = self.config.site.tz

        def local(ts: datetime) -> str:
            return ts.astimezone(tz).strftime("%H:%M %d/%m")

        extremes = "; ".join(
            tr("{metric}: highest {high} at {high_time}, lowest {low} at {low_time}",
               metric=(m.label or metric) if m else metric, high=_amount(high, m), high_time=local(high_ts),
               low=_amount(low, m), low_time=local(low_ts))
            for metric, high, high_ts, low, low_ts in backlog.extremes
            for m in [sensor.metrics.get(metric) if sensor else None])
        self.event("backlog", tr("{sensor}: {n} late readings from {first} to {last} stored as history, no alarm "
                                 "raised on them ({peaks})", sensor=sensor.name if sensor else backlog.sensor_id,
                                 n=backlog.count, first=local(backlog.first_ts), last=local(backlog.last_ts),
                                 peaks=extremes),
                   sensor=backlog.sensor_id, count=backlog.count, first=backlog.first_ts.isoformat(),
                   last=backlog.last_ts.isoformat(),
                   extremes={metric: {"high": high, "high_at": high_ts.isoformat(), "low": low, "low_at": low_ts.isoformat()}
                             for metric, high, high_ts, low, low_ts in backlog.extremes})

    def _on_alert(self, change) -> None:
        """AlertChanged (engine thread): log new alerts and acknowledgements."""
        from controlroom.alerts.text import alert_title

        alert = change.alert
        if change.removed:
            self._alerts_seen.pop(alert.id, None)
            return
        seen = self._alerts_seen.get(alert.id)
        if (seen is None or alert.raise_count > seen[0]) and alert.active:
            self.event("alert", tr("Alert: {title}", title=alert_title(alert)), alert=alert.id)
        if alert.acked and (seen is None or not seen[1]) and alert.acked_by:
            self.event("ack", tr("{who} acknowledged: {title}", who=alert.acked_by, title=alert_title(alert)),
                       alert=alert.id)
        self._alerts_seen[alert.id] = (alert.raise_count, alert.acked)

    # -- reading --------------------------------------------------------------------------
    def shifts(self) -> list[Shift]:
        with self._engine.connect() as conn:
            return self._shifts(conn)

    def _shifts(self, conn) -> list[Shift]:
        rows = conn.execute(select(audit_log.c.seq, audit_log.c.ts, audit_log.c.action, audit_log.c.target,
                                   audit_log.c.detail)
                            .where((audit_log.c.site_id == self._site)
                                   & audit_log.c.action.in_([SHIFT_START, HANDOVER]))
                            .order_by(audit_log.c.seq)).all()
        shifts: dict[str, Shift] = {}
        for row in rows:
            detail = row.detail or {}
            if row.action == SHIFT_START:
                shifts[row.target] = Shift(row.target, detail.get("officer", ""), detail.get("name", ""), row.seq,
                                           _ts(row.ts))
            elif row.target in shifts:
                s = shifts[row.target]
                shifts[row.target] = Shift(s.id, s.officer, s.officer_name, s.start_seq, s.started_at, row.seq,
                                           _ts(row.ts), detail.get("incoming"))
        return list(shifts.values())

    def current_shift(self) -> Shift | None:
        return _open_shift(self.shifts())

    def entries(self, shift: Shift) -> list[DutyEntry]:
        """Every audit row from the shift's start to its handover (or now)."""
        query = select(audit_log.c.seq, audit_log.c.ts, audit_log.c.actor, audit_log.c.action, audit_log.c.target,
                       audit_log.c.detail).where((audit_log.c.site_id == self._site) & (audit_log.c.seq >= shift.start_seq))
        if shift.end_seq is not None:
            query = query.where(audit_log.c.seq <= shift.end_seq)
        with self._engine.connect() as conn:
            rows = conn.execute(query.order_by(audit_log.c.seq)).all()
        return [DutyEntry(r.seq, _ts(r.ts), r.actor, r.action, r.target, r.detail or {}) for r in rows]

    def verify_shift(self, shift: Shift) -> tuple[bool, str]:
        """The audit chain is intact and the handover still points at the entry it signed."""
        result = verify_chain(self._engine, self._site)
        if not result.ok:
            return False, tr("Audit chain broken at entry {seq}: {reason}", seq=result.first_bad_seq, reason=result.reason)
        if shift.end_seq is None:
            return True, ""
        with self._engine.connect() as conn:
            handover = conn.execute(select(audit_log.c.detail).where(audit_log.c.seq == shift.end_seq)).scalar_one()
            through = conn.execute(select(audit_log.c.hash).where(audit_log.c.seq == handover["through_seq"])).scalar()
        if through != handover["through_hash"]:
            return False, tr("The signed-off entries were changed after the handover.")
        return True, ""


def _open_shift(shifts: list[Shift]) -> Shift | None:
    open_ = [s for s in shifts if not s.signed_off]
    return open_[-1] if open_ else None


def entry_text(entry: DutyEntry) -> str:
    """One line for the log view and the PDF, in the UI language."""
    d = entry.detail
    if entry.action == NOTE:
        return d.get("text", "")
    if entry.action == EVENT:
        return d.get("text", "")
    if entry.action == SHIFT_START:
        return tr("Shift starts: {name} on duty", name=d.get("name") or d.get("officer", ""))
    if entry.action == HANDOVER:
        return tr("Handover signed by {out} (outgoing) and {inc} (incoming). {note}",
                  out=d.get("outgoing_name", ""), inc=d.get("incoming_name", ""), note=d.get("note", "")).strip()
    if entry.action.startswith("bulletin."):
        what = {"bulletin.issued": tr("Flood warning bulletin issued"),
                "bulletin.repeat": tr("Flood warning bulletin repeated"),
                "bulletin.superseded": tr("Flood warning bulletin superseded"),
                "bulletin.cancelled": tr("Flood warning bulletin cancelled")}.get(entry.action, entry.action)
        reason = d.get("reason") if entry.action == "bulletin.cancelled" else ""
        return f"{what} ({entry.target})" + (f": {reason}" if reason else "")
    if entry.action == "broadcast.start":
        return tr("Broadcast: {title} to {n} speakers", title=d.get("title", ""), n=len(d.get("targets", [])))
    if entry.action == "broadcast.outcome":
        return tr("Broadcast {job}: played on {played} of {total} speakers", job=d.get("title") or entry.target,
                  played=d.get("played", 0), total=d.get("total", 0))  # by its title: the id means nothing
    words = _ACTION_WORDS.get(entry.action)
    if words is not None:
        role, comment = d.get("role"), d.get("comment") or ""
        text = tr(words, alert=d.get("title") or entry.target, user=entry.target, role=_role_label(role) if role else "")
        return text + (f" — {comment}" if comment else "")
    return f"{entry.action} {entry.target}".strip()


# the audited operator actions in the duty log's words (their Vietnamese is checked by test_i18n)
_ACTION_WORDS = {
    "alert.acknowledge": "Alert acknowledged: {alert}",
    "alert.shelve": "Alert shelved: {alert}",
    "alert.unshelve": "Alert unshelved: {alert}",
    "alert.out_of_service": "Taken out of service: {alert}",
    "alert.in_service": "Back in service: {alert}",
    "operator.sign_in": "Signed in ({role})",
    "operator.sign_out": "Signed out",
    "operator.lock": "Console locked",
    "operators.save": "Account {user} saved ({role})",
    "flood_mode.enter": "Flood mode on",
    "flood_mode.leave": "Flood mode off",
}


def _role_label(role: str) -> str:
    try:
        return Role[role.upper()].label  # stored by name: "duty_officer"
    except KeyError:
        return role


def _amount(value: float, metric) -> str:
    """2,90 mg/L: a number in the UI language's style (as the sentence around it) with its unit."""
    return f"{format_number(value)} {metric.unit}".strip() if metric is not None else format_number(value)
