"""The audit chain on SQLite and PostgreSQL: intact chains verify, any edit is named."""

from __future__ import annotations

from sqlalchemy import delete, update

from controlroom.access.audit import AuditLog, verify_chain
from controlroom.storage.models import audit_log

SITE = "quangtho"


def record_some(writer, count=5):
    log = AuditLog(writer, SITE)
    futures = [log.record("trucban", "alert.acknowledge", f"alert-{i}", {"comment": f"đã kiểm tra {i}", "value": 1.5})
               for i in range(count)]
    for future in futures:
        future.result(timeout=10)


def test_empty_and_intact_chains_verify(engine, writer):
    assert verify_chain(engine).ok
    record_some(writer)
    result = verify_chain(engine)
    assert result.ok and result.entries == 5


def test_an_edited_row_is_named(engine, writer):
    record_some(writer)
    with engine.begin() as conn:
        seqs = [row.seq for row in conn.execute(audit_log.select().order_by(audit_log.c.seq))]
        conn.execute(update(audit_log).where(audit_log.c.seq == seqs[2]).values(actor="someone-else"))
    result = verify_chain(engine)
    assert result.first_bad_seq == seqs[2]


def test_a_removed_row_breaks_the_chain_at_the_next_one(engine, writer):
    record_some(writer)
    with engine.begin() as conn:
        seqs = [row.seq for row in conn.execute(audit_log.select().order_by(audit_log.c.seq))]
        conn.execute(delete(audit_log).where(audit_log.c.seq == seqs[1]))
    assert verify_chain(engine).first_bad_seq == seqs[2]
