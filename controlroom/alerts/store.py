"""Writes alerts and their transitions to the database (tables ``alerts``, ``alert_events``).

Called only through ``StorageWriter.execute`` (the one writer thread). Alerts are upserted
with ON CONFLICT so two consoles sharing one PostgreSQL never collide on the same alert id.
"""

from __future__ import annotations

from typing import Sequence

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from controlroom.alerts.model import SYSTEM, Alert, AlertEvent
from controlroom.alerts.payload import to_payload
from controlroom.alerts.text import alert_description, alert_title
from controlroom.access.audit import append_entry
from controlroom.storage.models import alert_events, alerts
from controlroom.storage.upsert import upsert

# An operator's transition goes into the hash-chained audit log (nhật ký thao tác) in the same
# transaction as the transition itself, so the log holds what happened and nothing else: a
# refused, failed or no-op request (acknowledging an acknowledged alert) leaves no entry.
AUDITED_ACTIONS = {
    "raise": "alert.raise",  # a manual alert (the engine's own raises are by SYSTEM)
    "ack": "alert.acknowledge",
    "shelve": "alert.shelve",
    "unshelve": "alert.unshelve",
    "out_of_service": "alert.out_of_service",
    "in_service": "alert.in_service",
}


def alert_row(alert: Alert, site_id: str) -> dict:
    return {
        "site_id": site_id, "id": alert.id, "source": alert.source, "rule": f"{alert.kind}:{alert.condition}",
        "severity": int(alert.priority), "state": alert.state.value, "title": alert_title(alert),
        "message": alert_description(alert), "value": alert.value, "raised_at": alert.raised_at,
        "updated_at": max(t for t in (alert.changed_at, alert.acked_at, alert.op_at) if t is not None),
        "acknowledged_by": alert.acked_by, "acknowledged_at": alert.acked_at,
        "cleared_at": alert.changed_at if not alert.active else None, "detail": to_payload(alert, site_id),
    }


def write_alerts(connection: Connection, site_id: str, changed: Sequence[Alert], events: Sequence[AlertEvent]) -> None:
    """Upsert the changed alerts, append their events and audit the operators' ones (one
    transaction)."""
    upsert(connection, alerts, [alert_row(a, site_id) for a in changed], ["site_id", "id"])
    titles = {a.id: alert_title(a) for a in changed}  # the duty log names the alert, not its id
    for event in events:
        audited = AUDITED_ACTIONS.get(event.action)
        if audited is not None and event.actor != SYSTEM:
            append_entry(connection, site_id, event.ts, event.actor[:64], audited, event.alert_id,
                         {"comment": event.comment, "to_state": event.to_state.value, "console": event.console,
                          "title": titles.get(event.alert_id, "")})
    if events:
        connection.execute(alert_events.insert(), [
            {"site_id": site_id, "alert_id": e.alert_id, "ts": e.ts,
             "from_state": e.from_state.value if e.from_state else None, "to_state": e.to_state.value,
             "actor": e.actor[:64], "comment": e.comment, "detail": {"action": e.action, "console": e.console}}
            for e in events
        ])


def load_history(engine: Engine, site_id: str, alert_id: str, limit: int = 200) -> list[dict]:
    """The recorded transitions of one alert, newest first (for the history view, off the GUI thread)."""
    query = (select(alert_events).where(alert_events.c.site_id == site_id, alert_events.c.alert_id == alert_id)
             .order_by(alert_events.c.ts.desc(), alert_events.c.id.desc()).limit(limit))
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]


