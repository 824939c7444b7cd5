"""The audit log (nhật ký thao tác): who did what, when — appended, hash-chained, verifiable.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's own canonical
JSON (site, time, actor, action, target, detail), so editing, deleting or re-ordering any row
breaks the chain from that row on. Appends run on the storage writer thread; on PostgreSQL a
transaction-level advisory lock per site keeps two consoles from forking the chain.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Connection, Engine, select, text

from controlroom.i18n import tr
from controlroom.storage.models import audit_log, to_ms

GENESIS = "0" * 64


def entry_hash(prev_hash: str, site_id: str, ts_ms: int, actor: str, action: str, target: str, detail) -> str:
    canonical = json.dumps([site_id, ts_ms, actor, action, target, detail], ensure_ascii=False,
                           sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def append_entry(conn: Connection, site_id: str, ts: datetime, actor: str, action: str, target: str = "",
                 detail: dict | None = None) -> str:
    """Append one entry inside the caller's transaction; returns its hash."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": zlib.crc32(f"audit:{site_id}".encode())})
    prev = conn.execute(select(audit_log.c.hash).where(audit_log.c.site_id == site_id)
                        .order_by(audit_log.c.seq.desc()).limit(1)).scalar() or GENESIS
    ts_ms = to_ms(ts)
    digest = entry_hash(prev, site_id, ts_ms, actor, action, target, detail)
    conn.execute(audit_log.insert().values(site_id=site_id, ts=ts_ms, actor=actor, action=action, target=target,
                                           detail=detail, prev_hash=prev, hash=digest))
    return digest


class AuditLog:
    """Append-only audit of operator actions, written through the one storage writer."""

    def __init__(self, storage, site_id: str) -> None:
        self._storage = storage
        self._site_id = site_id

    def record(self, actor: str, action: str, target: str = "", detail: dict | None = None) -> Future:
        ts = datetime.now(timezone.utc)
        return self._storage.execute(lambda conn: append_entry(conn, self._site_id, ts, actor, action, target, detail))


@dataclass(frozen=True)
class VerifyResult:
    entries: int
    first_bad_seq: int | None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None


def verify_chain(engine: Engine, site_id: str | None = None) -> VerifyResult:
    """Walk every site's chain in order; report the first entry whose hash does not follow."""
    with engine.connect() as conn:
        query = select(audit_log.c.seq, audit_log.c.site_id, audit_log.c.ts, audit_log.c.actor, audit_log.c.action,
                       audit_log.c.target, audit_log.c.detail, audit_log.c.prev_hash, audit_log.c.hash)
        if site_id is not None:
            query = query.where(audit_log.c.site_id == site_id)
        rows = conn.execute(query.order_by(audit_log.c.seq)).all()
    last: dict[str, str] = {}
    for count, row in enumerate(rows, 1):
        prev = last.get(row.site_id, GENESIS)
        if row.prev_hash != prev:
            return VerifyResult(count, row.seq, tr("previous hash does not match (a row was removed or re-ordered)"))
        expected = entry_hash(prev, row.site_id, to_ms(row.ts), row.actor, row.action, row.target, row.detail)
        if row.hash != expected:
            return VerifyResult(count, row.seq, tr("content does not match its hash (the row was edited)"))
        last[row.site_id] = row.hash
    return VerifyResult(len(rows), None)
