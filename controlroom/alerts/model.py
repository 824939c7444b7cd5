"""Alerts as industrial alarm management models them (ISA-18.2 / IEC 62682), without Qt.

An alert is one *source* (``sensor/wl_bo/level``, ``device/aq1``, ``camera/cam07`` ...) in one
*condition* (``high``, ``rate_of_rise``, ``offline`` ...). Its id is derived from both, so a
re-trigger updates the one alert instead of adding another, and two consoles evaluating the
same readings arrive at the same id.

The ISA-18.2 state is derived from three facts rather than stored:

=====================  ========  ===================================
state                  active    acknowledged (for this episode)
=====================  ========  ===================================
unacknowledged         yes       no
acknowledged           yes       yes
returned, unacked      no        no
normal                 no        yes
=====================  ========  ===================================

Shelving (timed, with reason) and out-of-service override both. Every change is a pure
function returning the new (immutable) Alert and an ``AlertEvent`` naming who and when.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from enum import Enum, IntEnum
from typing import Any

from controlroom.i18n import tr

UTC = timezone.utc
SYSTEM = "system"  # actor of transitions the engine makes itself
MAX_ID_LENGTH = 64  # alerts.id column
EVENT_KINDS = frozenset({"citizen_report", "manual"})  # latched: active until acknowledged


class Priority(IntEnum):
    """Alert priority (mức ưu tiên); a larger number is more urgent."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, name: str) -> "Priority":
        try:
            return cls[name.upper()]
        except KeyError:
            raise ValueError(f"unknown priority {name!r}") from None

    @property
    def key(self) -> str:
        return self.name.lower()

    @property
    def colour(self) -> str:
        return PRIORITY_COLOURS[self]

    def label(self) -> str:
        return {
            Priority.CRITICAL: tr("Critical"),
            Priority.HIGH: tr("High"),
            Priority.MEDIUM: tr("Medium"),
            Priority.LOW: tr("Low"),
        }[self]


# Red / orange / amber / blue, the usual alarm-priority palette (EEMUA 191 style).
PRIORITY_COLOURS = {
    Priority.CRITICAL: "#c62828",
    Priority.HIGH: "#ef6c00",
    Priority.MEDIUM: "#f9a825",
    Priority.LOW: "#1e88e5",
}


class AlertState(str, Enum):
    """ISA-18.2 alarm states (trạng thái cảnh báo)."""

    UNACKNOWLEDGED = "unacknowledged"
    RETURNED_UNACKNOWLEDGED = "returned_unacknowledged"
    ACKNOWLEDGED = "acknowledged"
    SHELVED = "shelved"
    OUT_OF_SERVICE = "out_of_service"
    NORMAL = "normal"

    @property
    def rank(self) -> int:
        """Queue order: what needs action first."""
        return _STATE_RANK[self]

    def label(self) -> str:
        return {
            AlertState.UNACKNOWLEDGED: tr("Unacknowledged"),
            AlertState.RETURNED_UNACKNOWLEDGED: tr("Returned, unacknowledged"),
            AlertState.ACKNOWLEDGED: tr("Acknowledged"),
            AlertState.SHELVED: tr("Shelved"),
            AlertState.OUT_OF_SERVICE: tr("Out of service"),
            AlertState.NORMAL: tr("Normal"),
        }[self]


_STATE_RANK = {s: i for i, s in enumerate(AlertState)}

KINDS = (
    "threshold",
    "rate_of_rise",
    "alarm_level",
    "aqi_band",
    "stale",
    "device_offline",
    "camera_offline",
    "citizen_report",
    "manual",
)


def kind_label(kind: str) -> str:
    labels = {
        "threshold": tr("Threshold"),
        "rate_of_rise": tr("Rate of rise"),
        "alarm_level": tr("Flood alarm level"),
        "aqi_band": tr("Air quality (VN_AQI)"),
        "stale": tr("No recent data"),
        "device_offline": tr("Device offline"),
        "camera_offline": tr("Camera offline"),
        "citizen_report": tr("Citizen report"),
        "manual": tr("Manual alert"),
    }
    return labels.get(kind, kind)


def history_action_label(action: str) -> str:
    """An AlertEvent action in the operator's words, for the alert's history."""
    return {
        "raise": tr("raised"), "realarm": tr("got worse"), "downgrade": tr("eased"), "return": tr("returned to normal"),
        "ack": tr("acknowledged"), "shelve": tr("shelved"), "unshelve": tr("unshelved"),
        "out_of_service": tr("taken out of service"), "in_service": tr("back in service"), "remote": tr("from the other console"),
    }.get(action, action)


def history_state_label(value: str | None) -> str:
    """A state stored in an AlertEvent ("—" for none; unknown values shown as they are)."""
    try:
        return AlertState(value).label() if value else "—"
    except ValueError:
        return str(value)


def make_alert_id(source: str, condition: str) -> str:
    """A topic-safe id from source and condition: ``sensor/wl/level`` + ``high`` ->
    ``sensor.wl.level.high``; long ids keep a readable head and a hash tail."""
    raw = f"{source}.{condition}".replace("/", ".")
    slug = re.sub(r"[^A-Za-z0-9_.-]", "_", raw)
    if len(slug) <= MAX_ID_LENGTH:
        return slug
    digest = hashlib.sha1(raw.encode("utf-8")).hexdigest()[:12]
    return f"{slug[: MAX_ID_LENGTH - 13]}~{digest}"


@dataclass(frozen=True, slots=True)
class Condition:
    """What a rule found at `ts` (data time): the source is in (active) or out of a condition."""

    source: str
    condition: str
    kind: str
    active: bool
    ts: datetime
    priority: Priority = Priority.MEDIUM
    value: float | None = None
    limit: float | None = None
    band: int = 0  # 1 = high / alarm level I / first bad AQI band ...
    village: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def alert_id(self) -> str:
        return make_alert_id(self.source, self.condition)


@dataclass(frozen=True, slots=True)
class Alert:
    id: str
    source: str
    condition: str
    kind: str
    priority: Priority
    village: str | None
    active: bool
    acked: bool
    raised_at: datetime  # start of the current episode (data time)
    changed_at: datetime  # last change of the process side (active, priority, band)
    value: float | None = None
    limit: float | None = None
    band: int = 0
    detail: dict[str, Any] = field(default_factory=dict)
    raise_count: int = 1
    acked_by: str | None = None
    acked_at: datetime | None = None
    ack_comment: str = ""
    shelved_until: datetime | None = None
    shelved_by: str | None = None
    shelve_reason: str = ""
    out_of_service: bool = False
    oos_by: str | None = None
    oos_reason: str = ""
    op_at: datetime | None = None  # last shelve / out-of-service action
    console: str = ""  # console that made the last change
    version: int = 1

    @property
    def state(self) -> AlertState:
        if self.out_of_service:
            return AlertState.OUT_OF_SERVICE
        if self.shelved_until is not None:
            return AlertState.SHELVED
        if self.active:
            return AlertState.ACKNOWLEDGED if self.acked else AlertState.UNACKNOWLEDGED
        return AlertState.NORMAL if self.acked else AlertState.RETURNED_UNACKNOWLEDGED

    @property
    def needs_action(self) -> bool:
        return self.state in (AlertState.UNACKNOWLEDGED, AlertState.RETURNED_UNACKNOWLEDGED)

    def sort_key(self) -> tuple:
        """State, then priority (most urgent first), then newest first."""
        return (self.state.rank, -int(self.priority), -self.raised_at.timestamp(), self.id)


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """One recorded transition: who did what to which alert, and when (UTC)."""

    alert_id: str
    ts: datetime
    action: str  # raise / realarm / return / ack / shelve / unshelve / out_of_service / in_service / remote
    from_state: AlertState | None
    to_state: AlertState
    actor: str
    comment: str = ""
    console: str = ""


@dataclass(frozen=True, slots=True)
class AlertChanged:
    """Bus event: an alert as it is now, after a change here or merged from another console.

    The one way the map, the camera wall's alarm call-up and PTZ presets learn of alerts,
    whether or not the broker is up. `removed` means it left the queue (settled and expired,
    or cleared by another console)."""

    alert: Alert
    removed: bool = False

    @property
    def alert_id(self) -> str:
        return self.alert.id


Change = tuple[Alert, AlertEvent | None]


def _event(before: Alert | None, after: Alert, action: str, actor: str, ts: datetime, comment: str = "") -> AlertEvent:
    return AlertEvent(after.id, ts, action, before.state if before else None, after.state, actor, comment, after.console)


def apply_condition(alert: Alert | None, cond: Condition, console: str) -> Change | None:
    """Fold a rule's finding into the alert. Returns None when nothing changed.

    A new episode (inactive -> active) or a higher priority while active re-annunciates
    (unacknowledged again); a value update keeps the state; an inactive finding for an
    alert that does not exist creates nothing."""
    if alert is None:
        if not cond.active:
            return None
        new = Alert(
            id=cond.alert_id, source=cond.source, condition=cond.condition, kind=cond.kind,
            priority=cond.priority, village=cond.village, active=True, acked=False,
            raised_at=cond.ts, changed_at=cond.ts, value=cond.value, limit=cond.limit,
            band=cond.band, detail=dict(cond.detail), console=console,
        )
        return new, _event(None, new, "raise", SYSTEM, cond.ts)
    if cond.active:
        if not alert.active:
            new = replace(
                alert, active=True, acked=False, acked_by=None, acked_at=None, ack_comment="",
                raised_at=cond.ts, changed_at=cond.ts, priority=cond.priority, value=cond.value,
                limit=cond.limit, band=cond.band, detail=dict(cond.detail), village=cond.village,
                raise_count=alert.raise_count + 1, console=console, version=alert.version + 1,
            )
            return new, _event(alert, new, "raise", SYSTEM, cond.ts)
        if cond.priority > alert.priority or cond.band > alert.band:
            new = replace(
                alert, acked=False, priority=max(cond.priority, alert.priority), band=cond.band,
                value=cond.value, limit=cond.limit, detail=dict(cond.detail), changed_at=cond.ts,
                console=console, version=alert.version + 1,
            )
            return new, _event(alert, new, "realarm", SYSTEM, cond.ts)
        if cond.band < alert.band or cond.priority < alert.priority:
            new = replace(
                alert, band=cond.band, priority=cond.priority, value=cond.value, limit=cond.limit,
                detail=dict(cond.detail), changed_at=cond.ts, console=console, version=alert.version + 1,
            )
            return new, _event(alert, new, "downgrade", SYSTEM, cond.ts)
        if cond.value != alert.value:  # a value update: shown, not annunciated, not published
            return replace(alert, value=cond.value), None
        return None
    if not alert.active:
        return None
    new = replace(alert, active=False, value=cond.value if cond.value is not None else alert.value,
                  changed_at=cond.ts, console=console, version=alert.version + 1)
    return new, _event(alert, new, "return", SYSTEM, cond.ts)


def acknowledge(alert: Alert, actor: str, comment: str, now: datetime, console: str) -> Change | None:
    """Acknowledge an unacknowledged or returned alert; latched kinds (reports, manual) end with it."""
    if alert.acked or alert.out_of_service:
        return None
    active = alert.active and alert.kind not in EVENT_KINDS
    new = replace(alert, acked=True, acked_by=actor, acked_at=now, ack_comment=comment, active=active,
                  changed_at=now if active != alert.active else alert.changed_at,
                  console=console, version=alert.version + 1)
    return new, _event(alert, new, "ack", actor, now, comment)


def shelve(alert: Alert, actor: str, reason: str, duration: timedelta, now: datetime, console: str) -> Change | None:
    """Shelve for `duration` (timed, with a reason): hidden from annunciation, still tracked."""
    if alert.out_of_service:
        return None
    new = replace(alert, shelved_until=now + duration, shelved_by=actor, shelve_reason=reason, op_at=now,
                  console=console, version=alert.version + 1)
    return new, _event(alert, new, "shelve", actor, now, reason)


def unshelve(alert: Alert, actor: str, now: datetime, console: str) -> Change | None:
    """End shelving (by hand or at expiry): the alert shows its live state again."""
    if alert.shelved_until is None:
        return None
    new = replace(alert, shelved_until=None, shelved_by=None, shelve_reason="", op_at=now,
                  console=console, version=alert.version + 1)
    return new, _event(alert, new, "unshelve", actor, now)


def set_out_of_service(alert: Alert, actor: str, reason: str, in_service: bool, now: datetime, console: str) -> Change | None:
    """Take a source out of service (maintenance) or return it."""
    if alert.out_of_service == (not in_service):
        return None
    new = replace(alert, out_of_service=not in_service, oos_by=None if in_service else actor,
                  oos_reason="" if in_service else reason, op_at=now, console=console, version=alert.version + 1)
    return new, _event(alert, new, "in_service" if in_service else "out_of_service", actor, now, reason)


def merge_remote(local: Alert | None, remote: Alert) -> Alert | None:
    """Fold another console's published state into ours; None when ours already says it all.

    * process side (active, priority, band, value): the later `changed_at` wins; a newer
      episode brings its own acknowledgement state;
    * acknowledgement is sticky: an ack made after our episode began acknowledges it;
    * shelving / out of service: the later operator action (`op_at`) wins.
    """
    if local is None:
        return remote
    new = local
    if remote.changed_at > local.changed_at:
        new = replace(new, active=remote.active, priority=remote.priority, band=remote.band,
                      value=remote.value, limit=remote.limit, detail=remote.detail,
                      changed_at=remote.changed_at, village=remote.village)
        if remote.raised_at > local.raised_at:
            new = replace(new, raised_at=remote.raised_at, raise_count=max(remote.raise_count, local.raise_count),
                          acked=remote.acked, acked_by=remote.acked_by, acked_at=remote.acked_at,
                          ack_comment=remote.ack_comment)
    if remote.acked and not new.acked and remote.acked_at is not None and remote.acked_at >= new.raised_at:
        new = replace(new, acked=True, acked_by=remote.acked_by, acked_at=remote.acked_at,
                      ack_comment=remote.ack_comment)
        if remote.kind in EVENT_KINDS:
            new = replace(new, active=False)
    if remote.op_at is not None and (local.op_at is None or remote.op_at > local.op_at):
        new = replace(new, shelved_until=remote.shelved_until, shelved_by=remote.shelved_by,
                      shelve_reason=remote.shelve_reason, out_of_service=remote.out_of_service,
                      oos_by=remote.oos_by, oos_reason=remote.oos_reason, op_at=remote.op_at)
    if new == local:
        return None
    return replace(new, console=remote.console, version=max(local.version, remote.version) + 1)
