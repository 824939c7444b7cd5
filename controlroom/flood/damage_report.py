"""Quick damage report (báo cáo nhanh) of a disaster event, entered per village, summed for
the commune, with its deadlines.

Joint Circular 43/2015/TTLT-BNNPTNT-BKHĐT, Điều 7 / biểu mẫu báo cáo nhanh: the first quick
report within 24 h of the disaster's start, then daily while the event lasts; the site config
sets the daily hour (``flood.report_deadline``, default 17:00) and the recipients. Figures are
cumulative over the event: the officer enters each village's figures to date, the commune's
figures are their sum (flood depth: maximum). Writes go through the storage writer; reads
run off the GUI thread.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import Engine, delete, select

from controlroom.flood.damage_indicators import BY_CODE, INDICATORS
from controlroom.i18n import tr
from controlroom.access.operators import Operator, authorize
from controlroom.storage.models import audit_log, damage_entries, damage_events, from_ms


class DamageReportError(Exception):
    """Bad input for the report; the message is for the officer."""


@dataclass(frozen=True)
class DisasterEvent:
    id: str
    hazard: str
    started_at: datetime
    ended_at: datetime | None
    detail: dict


@dataclass
class QuickReport:
    """Everything the PDF and the XLSX print, already computed."""

    event: DisasterEvent
    number: int
    made_at: datetime
    unit_name: str
    province: str
    former_units: list[str]
    issuer: str
    recipients: list[str]
    source: str
    villages: list[tuple[str, str]]  # (id, name) in config order
    per_village: dict[str, dict[str, float]] = field(default_factory=dict)
    totals: dict[str, float] = field(default_factory=dict)
    tz: object = timezone.utc


def _ts(value) -> datetime | None:
    if value is None:
        return None
    return value if isinstance(value, datetime) else from_ms(value)


def commune_totals(per_village: dict[str, dict[str, float]]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for figures in per_village.values():
        for code, value in figures.items():
            indicator = BY_CODE[code]
            if indicator.agg == "max":
                totals[code] = max(totals.get(code, value), value)
            else:
                totals[code] = totals.get(code, 0.0) + value
    return totals


def report_deadlines(started_at: datetime, now: datetime, tz, daily: str = "17:00") -> tuple[datetime, int]:
    """(next deadline, report number) — number 1 is due 24 h after the start; after that one
    report a day, due at `daily` local time (the first daily deadline after report 1's)."""
    first = started_at + timedelta(hours=24)
    if now <= first:
        return first, 1
    hour, minute = (int(x) for x in daily.split(":"))
    local = now.astimezone(tz)
    due = datetime.combine(local.date(), time(hour, minute), tz)
    if due < now:
        due += timedelta(days=1)
    first_daily = datetime.combine(first.astimezone(tz).date(), time(hour, minute), tz)
    if first_daily <= first:
        first_daily += timedelta(days=1)
    number = 2 + (due.date() - first_daily.date()).days
    return due.astimezone(timezone.utc), max(2, number)


class DamageReports:
    def __init__(self, config, engine: Engine, storage, audit=None) -> None:
        self.config = config
        self._engine = engine
        self._storage = storage
        self._audit = audit
        self._site = config.site.id

    # -- events ---------------------------------------------------------------------------
    def open_event(self, operator: Operator, hazard: str, started_at: datetime, **detail) -> str:
        authorize(operator, "damage.report")
        if started_at.tzinfo is None:
            raise DamageReportError(tr("The start time needs a time zone."))
        event_id = "evt-" + uuid.uuid4().hex[:8]
        row = dict(site_id=self._site, id=event_id, hazard=hazard.strip() or "Lũ, ngập lụt", started_at=started_at,
                   ended_at=None, detail=detail, created_by=operator.username)
        self._storage.execute(lambda conn: conn.execute(damage_events.insert().values(**row))).result(timeout=30)
        self._record(operator, "damage.event_opened", event_id, {"hazard": row["hazard"], **detail})
        return event_id


    def events(self) -> list[DisasterEvent]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(damage_events).where(damage_events.c.site_id == self._site)
                                .order_by(damage_events.c.started_at.desc())).all()
        return [DisasterEvent(r.id, r.hazard, _ts(r.started_at), _ts(r.ended_at), r.detail or {}) for r in rows]

    def event(self, event_id: str) -> DisasterEvent:
        return next(e for e in self.events() if e.id == event_id)

    def open_events(self) -> list[DisasterEvent]:
        return [e for e in self.events() if e.ended_at is None]

    # -- figures --------------------------------------------------------------------------
    def set_village(self, operator: Operator, event_id: str, village: str, figures: dict[str, float]) -> None:
        """Replace a village's cumulative figures to date (empty/zero figures are dropped)."""
        authorize(operator, "damage.report")
        known = {v.id for v in self.config.villages}
        if village not in known:
            raise DamageReportError(tr("Unknown village {id}.", id=village))
        clean: dict[str, float] = {}
        for code, value in figures.items():
            if code not in BY_CODE:
                raise DamageReportError(tr("Unknown indicator {code}.", code=code))
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise DamageReportError(tr("{label}: not a number ({value}).", label=BY_CODE[code].label,
                                           value=value)) from None
            if number < 0:
                raise DamageReportError(tr("{label}: a figure cannot be negative.", label=BY_CODE[code].label))
            if number:
                clean[code] = number
        now = datetime.now(timezone.utc)

        def write(conn):
            conn.execute(delete(damage_entries).where((damage_entries.c.site_id == self._site)
                                                      & (damage_entries.c.event_id == event_id)
                                                      & (damage_entries.c.village == village)))
            if clean:
                conn.execute(damage_entries.insert(), [
                    dict(site_id=self._site, event_id=event_id, village=village, indicator=code, value=value,
                         updated_at=now, updated_by=operator.username) for code, value in clean.items()])

        self._storage.execute(write).result(timeout=30)
        self._record(operator, "damage.village", event_id, {"village": village, "figures": clean})

    def per_village(self, event_id: str) -> dict[str, dict[str, float]]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(damage_entries.c.village, damage_entries.c.indicator, damage_entries.c.value)
                                .where((damage_entries.c.site_id == self._site)
                                       & (damage_entries.c.event_id == event_id))).all()
        result: dict[str, dict[str, float]] = {}
        for row in rows:
            result.setdefault(row.village, {})[row.indicator] = row.value
        return result

    def report(self, event_id: str, now: datetime | None = None) -> QuickReport:
        now = now or datetime.now(timezone.utc)
        event = self.event(event_id)
        flood = self.config.flood
        _, number = report_deadlines(event.started_at, now, self.config.site.tz, flood.report_deadline)
        per_village = self.per_village(event_id)
        site = self.config.site
        return QuickReport(event=event, number=number, made_at=now, unit_name=site.unit_name or site.name,
                           province=site.province, former_units=list(site.former_units),
                           issuer=flood.report_issuer, recipients=list(flood.report_recipients),
                           source=flood.damage_source, villages=[(v.id, v.name) for v in self.config.villages],
                           per_village=per_village, totals=commune_totals(per_village), tz=site.tz)

    # -- deadlines ------------------------------------------------------------------------
    def next_deadline(self, event: DisasterEvent, now: datetime) -> tuple[datetime, int]:
        return report_deadlines(event.started_at, now, self.config.site.tz, self.config.flood.report_deadline)

    def reminder(self, now: datetime) -> list[tuple[DisasterEvent, datetime, int]]:
        """Open events whose next report is due within the reminder window and not yet exported."""
        window = timedelta(minutes=self.config.flood.report_reminder_min)
        due = []
        for event in self.open_events():
            deadline, number = self.next_deadline(event, now)
            if deadline - now <= window and number not in self.exported_numbers(event.id):
                due.append((event, deadline, number))
        return due

    def exported_numbers(self, event_id: str) -> set[int]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(audit_log.c.detail).where(
                (audit_log.c.site_id == self._site) & (audit_log.c.action == "damage.report_exported")
                & (audit_log.c.target == event_id))).all()
        return {int((r.detail or {}).get("number", 0)) for r in rows}

    def mark_exported(self, operator: Operator, report: QuickReport, paths: list[str]):
        return self.record_export(operator, report.event.id, report.number, paths, report.totals)

    def record_export(self, operator: Operator, event_id: str, number: int, paths: list[str], totals: dict):
        """The audit entry that report `number` of an event went out (its reminder stops)."""
        authorize(operator, "damage.report")
        return self._record(operator, "damage.report_exported", event_id, {"number": number, "paths": paths, "totals": totals})

    def _record(self, operator: Operator, action: str, target: str, detail: dict):
        if self._audit is not None:
            return self._audit.record(operator.username, action, target, detail)
        return None


def indicator_rows(report: QuickReport) -> list[tuple[str, str, str, list[float], float]]:
    """(group, label, unit, per-village values in village order, commune total) for every
    indicator, in the form's order — the one table both exports print."""
    rows = []
    for indicator in INDICATORS:
        values = [report.per_village.get(vid, {}).get(indicator.code, 0.0) for vid, _ in report.villages]
        rows.append((indicator.group, indicator.label, indicator.unit, values, report.totals.get(indicator.code, 0.0)))
    return rows
