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


def test_an_alert_transition_and_its_audit_entry_share_one_transaction(engine):
    """Both are written by write_alerts on one connection: a failure after both leaves neither."""
    from datetime import datetime, timezone

    import pytest
    from sqlalchemy import func, select

    from controlroom.alerts import model
    from controlroom.alerts.store import write_alerts
    from controlroom.storage.models import alert_events

    now = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)
    raised, _ = model.apply_condition(None, model.Condition("sensor/ao_tom/do", "low", "threshold", True, now,
                                                            value=3.1), "may-1")
    acked, ack_event = model.acknowledge(raised, "trucban", "đã gọi chủ ao", now, "may-1")

    def count(table):
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(table)).scalar_one()

    with pytest.raises(RuntimeError):
        with engine.begin() as conn:
            write_alerts(conn, SITE, [acked], [ack_event])
            raise RuntimeError("the database went away before the commit")
    assert count(alert_events) == 0 and count(audit_log) == 0

    with engine.begin() as conn:
        write_alerts(conn, SITE, [acked], [ack_event])
    with engine.connect() as conn:
        row = conn.execute(select(audit_log.c.actor, audit_log.c.action, audit_log.c.target)).one()
    assert tuple(row) == ("trucban", "alert.acknowledge", raised.id) and count(alert_events) == 1
    assert verify_chain(engine).ok
