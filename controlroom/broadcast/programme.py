"""The daily broadcast programme as operators edit it, kept in the database.

The site config seeds it (an empty programme is filled from ``[[broadcast.schedule]]`` at
start), then duty officers add, change and remove entries in the programme editor. The
scheduler reads `entries()` on every tick, so an edit takes effect at once; edits go through
the storage writer and the audit log.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from datetime import datetime, timezone

from sqlalchemy import Engine, delete, select

from controlroom.access.audit import AuditLog
from controlroom.config import Config, ScheduledBroadcastConfig
from controlroom.access.operators import Operator, authorize
from controlroom.storage.models import broadcast_programme


def _row(site_id: str, entry: ScheduledBroadcastConfig, operator: Operator) -> dict:
    return {"site_id": site_id, "id": entry.id, "title": entry.title, "time": entry.time, "weekdays": list(entry.weekdays),
            "zone": entry.zone, "text": entry.text, "file": str(entry.file) if entry.file else None,
            "priority": entry.priority, "volume": entry.volume, "updated_at": datetime.now(timezone.utc),
            "updated_by": operator.username}


def _entry(row) -> ScheduledBroadcastConfig:
    return ScheduledBroadcastConfig(id=row["id"], title=row["title"], time=row["time"], weekdays=row["weekdays"],
                                    zone=row["zone"], text=row["text"], file=row["file"], priority=row["priority"],
                                    volume=row["volume"])


class ProgrammeStore:
    def __init__(self, config: Config, engine: Engine, storage, audit: AuditLog) -> None:
        self._config = config
        self._site_id = config.site.id
        self._engine = engine
        self._storage = storage
        self._audit = audit
        self._lock = threading.Lock()
        self._entries: dict[str, ScheduledBroadcastConfig] = {}

    def load(self, seeder: Operator | None) -> None:
        """Read the programme (at start, before the GUI shows); seed it from config if empty
        (unless `seeder` is None: then only read)."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(broadcast_programme).where(broadcast_programme.c.site_id == self._site_id)).mappings().all()
        entries = [_entry(r) for r in rows]
        if not entries and self._config.broadcast.schedule and seeder is not None:
            entries = list(self._config.broadcast.schedule)
            seed = [_row(self._site_id, e, seeder) for e in entries]
            self._storage.execute(lambda conn: conn.execute(broadcast_programme.insert(), seed))
        with self._lock:
            self._entries = {e.id: e for e in entries}

    def entries(self) -> list[ScheduledBroadcastConfig]:
        with self._lock:
            return sorted(self._entries.values(), key=lambda e: (e.time, e.id))

    def save(self, entry: ScheduledBroadcastConfig, operator: Operator) -> Future:
        """Add or replace an entry (validated by its model); duty officers only."""
        authorize(operator, "broadcast.programme")
        entry = ScheduledBroadcastConfig.model_validate(entry.model_dump())
        if entry.zone not in {z.id for z in self._config.zones}:
            raise ValueError(entry.zone)
        row = _row(self._site_id, entry, operator)
        with self._lock:
            self._entries[entry.id] = entry

        def write(conn) -> None:
            conn.execute(delete(broadcast_programme).where(broadcast_programme.c.site_id == self._site_id,
                                                           broadcast_programme.c.id == entry.id))
            conn.execute(broadcast_programme.insert().values(**row))

        future = self._storage.execute(write)
        self._audit.record(operator.username, "broadcast.programme.save", entry.id, entry.model_dump(mode="json"))
        return future

    def remove(self, entry_id: str, operator: Operator) -> Future:
        authorize(operator, "broadcast.programme")
        with self._lock:
            self._entries.pop(entry_id, None)
        future = self._storage.execute(lambda conn: conn.execute(delete(broadcast_programme).where(
            broadcast_programme.c.site_id == self._site_id, broadcast_programme.c.id == entry_id)))
        self._audit.record(operator.username, "broadcast.programme.remove", entry_id, {})
        return future
