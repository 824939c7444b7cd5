from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, insert, select

from controlroom.domain import ConnectionState, DeviceStatus, Reading
from controlroom.storage.models import alerts, alert_events, audit_log, readings, rollup_10min, rollup_hour, rollup_minute, to_ms
from controlroom.storage.queries import device_history, device_states, latest_readings

from .conftest import SITE

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)


def count(engine, table) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def test_readings_published_on_the_bus_are_persisted(engine, bus, writer):
    for i in range(1200):
        bus.publish(Reading("aq1", "pm25", T0 + timedelta(seconds=i), 10.0 + i % 7))
    assert writer.flush(60)
    assert count(engine, readings) == 1200
    with engine.connect() as connection:
        row = connection.execute(select(readings).order_by(readings.c.ts_ms).limit(1)).one()
    assert row.site_id == SITE and row.sensor_id == "aq1" and row.metric == "pm25"
    assert row.ts_ms == to_ms(T0) and row.value == 10.0
    assert writer.stats.rows_written == 1200 and writer.stats.batches >= 1


def test_redelivered_duplicates_are_stored_once_and_counted_once_in_rollups(engine, bus, writer):
    events = [Reading("wl1", "level", T0 + timedelta(seconds=i), 1.0 + i / 100) for i in range(100)]
    for event in events:
        bus.publish(event)
    for event in events[:50] + events[:50]:  # redelivered, twice, in the same and a later batch
        bus.publish(event)
    assert writer.flush(60)
    assert count(engine, readings) == 100
    with engine.connect() as connection:
        total = connection.execute(select(func.sum(rollup_minute.c.count))).scalar_one()
        ten = connection.execute(select(func.sum(rollup_10min.c.count))).scalar_one()
        hourly = connection.execute(select(func.sum(rollup_hour.c.count))).scalar_one()
    assert total == ten == hourly == 100
    assert writer.stats.duplicates == 100


def test_minute_ten_minute_and_hour_rollups_hold_min_max_avg_and_count(engine, bus, writer):
    # 2 h of one reading every 10 s; values cycle so every minute holds 0..5 + minute offset
    start = T0.replace(minute=0)
    for i in range(720):
        minute = i // 6
        bus.publish(Reading("wl1", "level", start + timedelta(seconds=10 * i), float(i % 6 + minute)))
    assert writer.flush(60)
    with engine.connect() as connection:
        minute_rows = connection.execute(select(rollup_minute).order_by(rollup_minute.c.bucket_ms)).all()
        ten_rows = connection.execute(select(rollup_10min).order_by(rollup_10min.c.bucket_ms)).all()
        hour_rows = connection.execute(select(rollup_hour).order_by(rollup_hour.c.bucket_ms)).all()
    assert len(minute_rows) == 120
    m7 = minute_rows[7]
    assert m7.bucket_ms == to_ms(start + timedelta(minutes=7))
    assert (m7.min, m7.max, m7.count) == (7.0, 12.0, 6)
    assert m7.sum / m7.count == pytest.approx(9.5)
    assert len(ten_rows) == 12
    t1 = ten_rows[1]  # minutes 10..19
    assert t1.bucket_ms == to_ms(start + timedelta(minutes=10))
    assert (t1.min, t1.max, t1.count) == (10.0, 24.0, 60)
    assert len(hour_rows) == 2
    h1 = hour_rows[1]
    assert h1.bucket_ms == to_ms(start + timedelta(hours=1))
    assert (h1.min, h1.max, h1.count) == (60.0, 124.0, 360)
    assert h1.sum / h1.count == pytest.approx(sum(m + k for m in range(60, 120) for k in range(6)) / 360)


def test_rollups_add_up_across_batches_and_late_readings(engine, bus, writer):
    bus.publish(Reading("aq1", "pm10", T0 + timedelta(seconds=5), 20.0))
    assert writer.flush(30)
    bus.publish(Reading("aq1", "pm10", T0 + timedelta(seconds=50), 40.0))
    bus.publish(Reading("aq1", "pm10", T0 + timedelta(seconds=1), 3.0))  # late, same minute
    assert writer.flush(30)
    with engine.connect() as connection:
        row = connection.execute(select(rollup_minute)).one()
    assert (row.min, row.max, row.sum, row.count) == (3.0, 40.0, 63.0, 3)
    latest = latest_readings(engine, SITE)
    assert [(r.sensor_id, r.metric, r.ts, r.value) for r in latest] == [("aq1", "pm10", T0 + timedelta(seconds=50), 40.0)]


def test_non_finite_values_are_rejected_and_the_rest_is_stored(engine, bus, writer):
    bus.publish(Reading("aq1", "pm25", T0, float("nan")))
    bus.publish(Reading("aq1", "pm25", T0 + timedelta(seconds=1), float("inf")))
    bus.publish(Reading("aq1", "pm25", T0 + timedelta(seconds=2), 12.5))
    assert writer.flush(30)
    assert count(engine, readings) == 1
    assert writer.stats.rejected == 2


def test_device_status_keeps_current_state_and_records_changes_only(engine, bus, writer):
    for seconds, online in [(0, True), (10, True), (20, False), (30, False), (40, True)]:
        bus.publish(DeviceStatus("cam01", online, T0 + timedelta(seconds=seconds)))
    bus.publish(DeviceStatus("cam01", False, T0 - timedelta(hours=1)))  # stale retained message
    assert writer.flush(30)
    history = device_history(engine, SITE, "cam01")
    assert [(h.online, h.ts) for h in history] == [
        (True, T0),
        (False, T0 + timedelta(seconds=20)),
        (True, T0 + timedelta(seconds=40)),
    ]
    [state] = device_states(engine, SITE)
    assert state.online is True and state.ts == T0 + timedelta(seconds=40)


def test_execute_runs_on_the_writer_thread_in_its_own_transaction(engine, writer):
    def record(connection):
        connection.execute(
            insert(alerts),
            {"site_id": SITE, "id": "a1", "state": "active", "raised_at": T0, "updated_at": T0},
        )
        connection.execute(
            insert(alert_events),
            {"site_id": SITE, "alert_id": "a1", "ts": T0, "to_state": "active", "actor": "system"},
        )
        return threading.current_thread().name

    assert writer.execute(record).result(timeout=30) == "storage-writer"
    with engine.connect() as connection:
        event = connection.execute(select(alert_events)).one()
    assert event.ts == T0 and event.actor == "system"


def test_a_failing_job_is_rolled_back_counted_and_the_writer_goes_on(engine, bus, writer):
    def half_then_fail(connection):
        connection.execute(insert(audit_log), {"site_id": SITE, "ts": T0, "actor": "op1", "action": "login"})
        raise ValueError("bug in a caller")

    future = writer.execute(half_then_fail)
    with pytest.raises(ValueError):
        future.result(timeout=30)
    assert count(engine, audit_log) == 0
    assert writer.stats.job_errors == 1
    bus.publish(Reading("aq1", "pm25", T0, 1.0))
    assert writer.execute(lambda c: "still alive").result(timeout=30) == "still alive"
    assert writer.flush(30)
    assert count(engine, readings) == 1


def test_first_commit_reports_the_database_connected(engine, bus, database_config):
    from controlroom.storage.writer import StorageWriter

    seen: list[ConnectionState] = []
    bus.subscribe(ConnectionState, seen.append)
    writer = StorageWriter(engine, bus, SITE, database_config)
    writer.start()
    try:
        writer.execute(lambda c: None).result(timeout=30)
    finally:
        writer.stop()
    assert seen == [ConnectionState("database", True, "")]
    assert writer.stats.database_connected is True


def test_stop_flushes_everything_queued(engine, bus, database_config):
    from controlroom.storage.writer import StorageWriter

    writer = StorageWriter(engine, bus, SITE, database_config, flush_interval_s=5.0)
    writer.start()
    for i in range(300):  # fewer than a batch, well within the flush interval
        bus.publish(Reading("aq1", "pm25", T0 + timedelta(seconds=i), 1.0))
    writer.stop()
    assert count(engine, readings) == 300
    bus.publish(Reading("aq1", "pm25", T0 - timedelta(days=1), 1.0))  # unsubscribed: not queued
    assert writer.stats.queue_depth == 0


def test_in_memory_sqlite_is_one_database_for_every_thread(bus, database_config):
    from controlroom.storage.db import create_engine_for, migrate
    from controlroom.storage.writer import StorageWriter

    engine = create_engine_for("sqlite://")
    migrate(engine)
    writer = StorageWriter(engine, bus, SITE, database_config)
    writer.start()
    try:
        bus.publish(Reading("aq1", "pm25", T0, 1.0))
        assert writer.flush(30)
        assert count(engine, readings) == 1
    finally:
        writer.stop()
        engine.dispose()


def test_two_consoles_writing_the_same_stream_store_and_count_it_once(db_url, database_config):
    """Both consoles subscribe to the same broker, so both write every reading."""
    from controlroom.bus import EventBus
    from controlroom.storage.db import create_engine_for, migrate
    from controlroom.storage.writer import StorageWriter

    engines = [create_engine_for(db_url), create_engine_for(db_url)]
    migrate(engines[0])
    migrate(engines[1])
    buses = [EventBus(), EventBus()]
    writers = [StorageWriter(e, b, SITE, database_config) for e, b in zip(engines, buses)]
    for writer in writers:
        writer.start()
    try:
        events = [Reading(f"s{i % 7}", "level", T0 + timedelta(seconds=i), float(i % 13)) for i in range(3000)]
        threads = [threading.Thread(target=lambda b=b: [b.publish(e) for e in events], name=f"test-console-{n}") for n, b in enumerate(buses)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert all(writer.flush(120) for writer in writers)
        assert count(engines[0], readings) == 3000
        with engines[0].connect() as connection:
            assert connection.execute(select(func.sum(rollup_minute.c.count))).scalar_one() == 3000
            assert connection.execute(select(func.sum(rollup_hour.c.count))).scalar_one() == 3000
        assert sum(w.stats.rows_written for w in writers) == 3000
    finally:
        for writer in writers:
            writer.stop()
        for engine in engines:
            engine.dispose()


def test_a_batch_of_many_inserts_with_a_duplicate_in_its_last_part_stores_each_new_row_once(engine):
    """SQLite inserts 199 rows per statement (999 parameters): a redelivered row in the second
    statement undoes the first one's too, and the batch is told row by row which ones were new."""
    from controlroom.storage.ingest_sql import write_readings

    rows = [(SITE, "wl1", "level", to_ms(T0) + 1000 * i, 1.0 + i / 1000) for i in range(250)]
    with engine.begin() as connection:
        assert write_readings(connection, rows[220:231]).inserted == 11
    with engine.begin() as connection:
        result = write_readings(connection, rows)
    assert (result.inserted, result.duplicates) == (239, 11)
    with engine.connect() as connection:
        stored = connection.execute(select(readings.c.ts_ms, readings.c.value).order_by(readings.c.ts_ms)).all()
        minutes = connection.execute(select(func.sum(rollup_minute.c.count))).scalar_one()
    assert [tuple(r) for r in stored] == [(r[3], r[4]) for r in rows]  # every value exact
    assert minutes == 250


def test_a_batch_writes_its_rows_rollups_and_series_in_statements_of_many_rows(engine):
    """Rollups and series are upserted many keys per statement, like the readings: executemany
    would hand the interpreter lock back after every key, thousands of times a batch, and the
    feed thread would wait for the writer as often. 300 series cross the statements' boundaries."""
    from sqlalchemy import event

    from controlroom.storage.ingest_sql import write_readings
    from controlroom.storage.models import series

    rows = sorted((SITE, f"s{n:03d}", "level", to_ms(T0) + 1000 * i, float(n + i)) for n in range(300) for i in range(2))
    calls = []

    def before(conn, cursor, statement, parameters, context, executemany):
        calls.append((statement, executemany))

    event.listen(engine, "before_cursor_execute", before)
    try:
        with engine.begin() as connection:
            assert write_readings(connection, rows).inserted == 600
    finally:
        event.remove(engine, "before_cursor_execute", before)
    if engine.dialect.name == "sqlite":
        assert not [sql for sql, many in calls if many], "no executemany: one statement per chunk of rows"
        assert len([sql for sql, _ in calls if sql.startswith("INSERT INTO rollup_minute")]) == 3  # 300 keys, 124 a statement
    with engine.connect() as connection:
        minute = connection.execute(select(rollup_minute.c.sensor_id, rollup_minute.c.min, rollup_minute.c.max,
                                           rollup_minute.c.count).order_by(rollup_minute.c.sensor_id)).all()
        latest = connection.execute(select(series.c.sensor_id, series.c.first_ms, series.c.last_ms, series.c.last_value)
                                    .order_by(series.c.sensor_id)).all()
    assert [tuple(r) for r in minute] == [(f"s{n:03d}", float(n), float(n + 1), 2) for n in range(300)]
    assert [tuple(r) for r in latest] == [(f"s{n:03d}", to_ms(T0), to_ms(T0) + 1000, float(n + 1)) for n in range(300)]
