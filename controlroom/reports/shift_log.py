"""The shift log (sổ giao ca): operators' free-text notes plus, gathered automatically, the
shift's alerts, broadcasts and outages, for the handover to the next duty officer.

Notes and handovers are written through the storage writer (one writer thread) and audited;
`summary` reads the database and runs off the GUI thread.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, select

from controlroom.access.operators import Operator
from controlroom.access.accounts import operator_names
from controlroom.storage.models import alerts, broadcasts, device_status_history, shift_log

NOTE_KINDS = ("note", "incident", "handover")


@dataclass
class ShiftSummary:
    start: datetime
    end: datetime
    notes: list[dict] = field(default_factory=list)  # ts, operator, kind, text
    alerts: list[dict] = field(default_factory=list)  # ts, title, kind, village, state
    broadcasts: list[dict] = field(default_factory=list)  # ts, title, operator, state
    outages: list[dict] = field(default_factory=list)  # ts, device_id (went offline)


class ShiftLog:
    def __init__(self, engine: Engine, storage, site_id: str, audit=None) -> None:
        self.engine = engine
        self.storage = storage
        self.site_id = site_id
        self.audit = audit

    def add(self, operator: Operator, text: str, kind: str = "note", detail: dict | None = None) -> Future:
        """Append a note (any signed-in role may write the log); empty text is refused."""
        text = text.strip()
        if not text:
            raise ValueError("a shift log entry needs text")
        if kind not in NOTE_KINDS:
            raise ValueError(f"unknown shift log kind {kind!r}")
        now = datetime.now(timezone.utc)
        row = {"site_id": self.site_id, "ts": now, "operator": operator.username, "kind": kind, "text": text,
               "detail": detail}
        future = self.storage.execute(lambda conn: conn.execute(shift_log.insert().values(**row)))
        if self.audit is not None:
            self.audit.record(operator.username, f"shift.{kind}", "shift_log", {"chars": len(text)})
        return future

    def summary(self, start: datetime, end: datetime | None = None) -> ShiftSummary:
        end = end or datetime.now(timezone.utc)
        result = ShiftSummary(start, end)
        with self.engine.connect() as conn:
            # who wrote or sent it by the name the next shift knows ("Lê Văn Trực", not "truc")
            names = operator_names(conn, self.site_id)
            for row in conn.execute(select(shift_log).where(shift_log.c.site_id == self.site_id, shift_log.c.ts >= start,
                                                            shift_log.c.ts < end).order_by(shift_log.c.ts)).mappings():
                result.notes.append({"ts": row["ts"], "operator": names.get(row["operator"], row["operator"]),
                                     "kind": row["kind"], "text": row["text"]})
            for row in conn.execute(select(alerts.c.raised_at, alerts.c.title, alerts.c.state, alerts.c.detail).where(
                    alerts.c.site_id == self.site_id, alerts.c.raised_at >= start, alerts.c.raised_at < end)
                    .order_by(alerts.c.raised_at)):
                detail = row.detail if isinstance(row.detail, dict) else {}
                result.alerts.append({"ts": row.raised_at, "title": row.title, "state": row.state,
                                      "kind": detail.get("kind", ""), "village": detail.get("village")})
            for row in conn.execute(select(broadcasts.c.created_at, broadcasts.c.title, broadcasts.c.operator,
                                           broadcasts.c.state).where(
                    broadcasts.c.site_id == self.site_id, broadcasts.c.created_at >= start, broadcasts.c.created_at < end)
                    .order_by(broadcasts.c.created_at)):
                result.broadcasts.append({"ts": row.created_at, "title": row.title,
                                          "operator": names.get(row.operator, row.operator),
                                          "state": row.state})
            h = device_status_history.c
            for row in conn.execute(select(h.ts, h.device_id).where(h.site_id == self.site_id, h.ts >= start, h.ts < end,
                                                                    h.online.is_(False)).order_by(h.ts)):
                result.outages.append({"ts": row.ts, "device_id": row.device_id})
        return result


def shift_start(now: datetime, hours: float = 12.0) -> datetime:
    """Default shift window: the last `hours` (a 12-hour shift)."""
    return now - timedelta(hours=hours)
