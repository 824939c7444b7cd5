"""Broadcast records in the database: the job, each speaker's outcome, the broadcast log.

Writes run on the storage writer thread (`StorageWriter.execute`); reads (the log report,
the programme's fired keys at start-up) run on a worker or at start. Rows are upserted so a
job's row always holds its latest totals. This is the record the provincial radio system asks
communes to keep: date, content, targets, delivered count.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, select

from controlroom.access.accounts import operator_names
from controlroom.broadcast.jobs import BroadcastJob, Priority
from controlroom.i18n import tr
from controlroom.storage.models import broadcast_deliveries, broadcasts
from controlroom.storage.upsert import upsert

if TYPE_CHECKING:
    from controlroom.config import Config

SCHEDULE_PREFIX = "sched:"


def job_rows(site_id: str, job: BroadcastJob) -> tuple[dict, list[dict]]:
    totals = job.totals()
    job_row = {
        "site_id": site_id, "id": job.id, "created_at": job.created_at, "operator": job.operator,
        "kind": job.source_kind, "title": job.title, "text": job.text, "source": job.source_url,
        "priority": int(job.priority), "targets": {"speakers": job.targets},
        "state": "finished" if job.finished else "active",
        "finished_at": max((d.updated_at for d in job.deliveries.values() if d.updated_at), default=None) if job.finished else None,
        "detail": {"played": totals.played, "total": totals.total, "offline": totals.offline,
                   "failed": totals.failed, "interrupted": totals.interrupted, "duration_s": job.duration_s,
                   "volume": job.volume, "repeat": job.repeat},
    }
    delivery_rows = [
        {"site_id": site_id, "broadcast_id": job.id, "speaker_id": d.speaker_id, "result": d.state.value,
         "detail": d.detail, "sent_at": d.sent_at, "updated_at": d.updated_at or job.created_at}
        for d in job.deliveries.values()
    ]
    return job_row, delivery_rows


def save_job(conn: Connection, site_id: str, job_row: dict, delivery_rows: list[dict]) -> None:
    upsert(conn, broadcasts, [job_row], ["site_id", "id"])
    upsert(conn, broadcast_deliveries, delivery_rows, ["site_id", "broadcast_id", "speaker_id"])


def make_persister(storage, site_id: str):
    """A BroadcastService `persist` hook: snapshot the job now, write it on the writer thread."""

    def persist(job: BroadcastJob) -> None:
        job_row, delivery_rows = job_rows(site_id, job)
        storage.execute(lambda conn: save_job(conn, site_id, job_row, delivery_rows))

    return persist


class DatabaseFiredStore:
    """Remembers fired programme entries as broadcast rows with id "sched:<entry>@<date>"."""

    def __init__(self, engine: Engine, site_id: str) -> None:
        self._engine = engine
        self._site_id = site_id

    def fired_keys(self) -> set[str]:
        with self._engine.connect() as conn:
            ids = conn.execute(select(broadcasts.c.id).where(
                broadcasts.c.site_id == self._site_id, broadcasts.c.id.like(SCHEDULE_PREFIX + "%"))).scalars()
            return {i.removeprefix(SCHEDULE_PREFIX) for i in ids}

    def mark_fired(self, key: str, fired_at: datetime) -> None:
        """Written when the job is saved: the scheduled job's id is SCHEDULE_PREFIX + key."""


def broadcast_log_csv(engine: Engine, config: "Config", start: datetime, end: datetime) -> str:
    """The broadcast log report (sổ nhật ký phát thanh) as CSV text with a header row; write
    it with encoding "utf-8-sig" so Excel reads the Vietnamese. People and speakers by the names
    the commune knows them by, not by account and device ids."""
    site_id, tz = config.site.id, config.site.tz
    with engine.connect() as conn:
        rows = conn.execute(
            select(broadcasts).where(broadcasts.c.site_id == site_id, broadcasts.c.created_at >= start,
                                     broadcasts.c.created_at < end).order_by(broadcasts.c.created_at)
        ).mappings().all()
        people = operator_names(conn, site_id)
    speaker_names = config.device_names()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([tr("Time"), tr("Operator name"), tr("Title"), tr("Content"), tr("Class"), tr("Speaker clusters"),
                     tr("Played"), tr("Targeted"), tr("Offline"), tr("Failed")])
    for row in rows:
        detail = row["detail"] or {}
        writer.writerow([
            row["created_at"].astimezone(tz).strftime("%Y-%m-%d %H:%M"), people.get(row["operator"], row["operator"]),
            row["title"], row["text"] or row["source"], Priority(row["priority"]).label,
            "; ".join(speaker_names.get(s, s) for s in (row["targets"] or {}).get("speakers", [])),
            detail.get("played", 0), detail.get("total", 0), detail.get("offline", 0), detail.get("failed", 0),
        ])
    return out.getvalue()
