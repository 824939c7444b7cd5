"""The shared JSON form of an alert on ``<site>/room/alert/<id>`` (retained).

Another console, the provincial centre (IOC) and the map read it. ``priority`` is 0-3
(low..critical, the map's scale) with ``priority_name`` beside it; times are ISO 8601 UTC.
``from_payload`` accepts only well-formed input and raises ValueError naming the key.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from controlroom.alerts.model import Alert, Priority

UTC = timezone.utc

PAYLOAD_VERSION = 1


def _iso(ts: datetime | None) -> str | None:
    return ts.astimezone(UTC).isoformat(timespec="milliseconds") if ts else None


def _dt(value: Any, key: str, required: bool = False) -> datetime | None:
    if value is None:
        if required:
            raise ValueError(f"{key} is missing")
        return None
    if not isinstance(value, str):
        raise ValueError(f"{key} must be an ISO 8601 time")
    ts = datetime.fromisoformat(value)
    if ts.tzinfo is None:
        raise ValueError(f"{key} needs a time zone offset")
    return ts.astimezone(UTC)


def to_payload(alert: Alert, site_id: str) -> dict[str, Any]:
    return {
        "v": PAYLOAD_VERSION, "site": site_id, "id": alert.id, "source": alert.source,
        "condition": alert.condition, "kind": alert.kind, "priority": int(alert.priority) - 1,
        "priority_name": alert.priority.key, "lat": alert.detail.get("lat"), "lon": alert.detail.get("lon"),
        "state": alert.state.value, "village": alert.village, "active": alert.active, "acked": alert.acked,
        "raised_at": _iso(alert.raised_at), "changed_at": _iso(alert.changed_at), "value": alert.value,
        "limit": alert.limit, "band": alert.band, "detail": alert.detail, "raise_count": alert.raise_count,
        "acked_by": alert.acked_by, "acked_at": _iso(alert.acked_at), "ack_comment": alert.ack_comment,
        "shelved_until": _iso(alert.shelved_until), "shelved_by": alert.shelved_by,
        "shelve_reason": alert.shelve_reason, "out_of_service": alert.out_of_service, "oos_by": alert.oos_by,
        "oos_reason": alert.oos_reason, "op_at": _iso(alert.op_at), "console": alert.console,
        "version": alert.version,
    }


def _num(value: Any, key: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{key} must be a number")
    return float(value)


def _text(value: Any, key: str, default: str | None = "") -> str | None:
    if value is None:
        return default
    if not isinstance(value, str):
        raise ValueError(f"{key} must be text")
    return value


def _priority(data: dict[str, Any]) -> Priority:
    """`priority_name` ("high"), else `priority` as 0-3 (low..critical, the map's scale)."""
    name = data.get("priority_name")
    if isinstance(name, str):
        return Priority.parse(name)
    number = data.get("priority", 1)
    if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number <= 3:
        raise ValueError("priority must be 0-3")
    return Priority(number + 1)


def from_payload(alert_id: str, data: dict[str, Any]) -> Alert:
    """Parse a shared alert; raises ValueError naming the bad key (never anything else)."""
    try:
        if data.get("id", alert_id) != alert_id:
            raise ValueError("id does not match the topic")
        detail = data.get("detail") or {}
        if not isinstance(detail, dict):
            raise ValueError("detail must be an object")
        return Alert(
            id=alert_id,
            source=_text(data.get("source"), "source"),
            condition=_text(data.get("condition"), "condition"),
            kind=_text(data.get("kind"), "kind", "manual"),
            priority=_priority(data),
            village=_text(data.get("village"), "village", None),
            active=bool(data.get("active", False)),
            acked=bool(data.get("acked", False)),
            raised_at=_dt(data.get("raised_at"), "raised_at", required=True),
            changed_at=_dt(data.get("changed_at"), "changed_at", required=True),
            value=_num(data.get("value"), "value"),
            limit=_num(data.get("limit"), "limit"),
            band=int(_num(data.get("band"), "band") or 0),
            detail=detail,
            raise_count=int(_num(data.get("raise_count"), "raise_count") or 1),
            acked_by=_text(data.get("acked_by"), "acked_by", None),
            acked_at=_dt(data.get("acked_at"), "acked_at"),
            ack_comment=_text(data.get("ack_comment"), "ack_comment"),
            shelved_until=_dt(data.get("shelved_until"), "shelved_until"),
            shelved_by=_text(data.get("shelved_by"), "shelved_by", None),
            shelve_reason=_text(data.get("shelve_reason"), "shelve_reason"),
            out_of_service=bool(data.get("out_of_service", False)),
            oos_by=_text(data.get("oos_by"), "oos_by", None),
            oos_reason=_text(data.get("oos_reason"), "oos_reason"),
            op_at=_dt(data.get("op_at"), "op_at"),
            console=_text(data.get("console"), "console"),
            version=int(_num(data.get("version"), "version") or 1),
        )
    except (TypeError, OverflowError) as exc:
        raise ValueError(str(exc)) from None
