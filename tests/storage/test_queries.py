from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from sqlalchemy import func, insert, select

from controlroom.domain import Reading
from controlroom.storage.models import readings, rollup_hour, rollup_minute, to_ms
from controlroom.storage.queries import EXPORT_COLUMNS, export_rows, read_series

from .conftest import SITE

END = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def month_of_data(engine, bus, writer):
    """30 days of one reading per 2 minutes, a sawtooth 0..29 per hour, plus noise sensors."""
    start = END - timedelta(days=30)
    n = 30 * 24 * 30
    for i in range(n):
        bus.publish(Reading("wl1", "level", start + timedelta(minutes=2 * i), float(i % 30)))
    bus.publish(Reading("wl2", "level", END - timedelta(minutes=1), 99.0))
    assert writer.flush(120)
    return start, n


def test_auto_resolution_bounds_the_points_of_a_30_day_window(engine, month_of_data):
    start, n = month_of_data
    series = read_series(engine, SITE, "wl1", "level", start, END)
    assert series.resolution == "hour"
    assert len(series) <= 30 * 24 + 1
    assert np.all(np.diff(series.ts) == 3600.0)
    assert series.min.min() == 0.0 and series.max.max() == 29.0  # envelope kept
    assert int(series.count.sum()) == n
    assert series.value == pytest.approx(np.full(len(series), 14.5))


def test_auto_resolution_uses_minutes_for_a_day_and_raw_for_an_hour(engine, month_of_data):
    day = read_series(engine, SITE, "wl1", "level", END - timedelta(days=1), END)
    assert day.resolution == "minute" and 700 <= len(day) <= 721
    hour = read_series(engine, SITE, "wl1", "level", END - timedelta(hours=1), END - timedelta(seconds=1))
    assert hour.resolution == "raw" and len(hour) == 30
    assert hour.ts[0] == to_ms(END - timedelta(hours=1)) / 1000
    assert np.array_equal(hour.value, hour.min) and np.array_equal(hour.value, hour.max)


def test_auto_resolution_uses_ten_minute_buckets_for_a_multi_day_zoom(engine, month_of_data):
    days = read_series(engine, SITE, "wl1", "level", END - timedelta(days=3), END)
    assert days.resolution == "10min" and days.bucket_s == 600.0 and 430 <= len(days) <= 433
    assert np.all(np.diff(days.ts) == 600.0)
    assert days.min.min() == 0.0 and days.max.max() == 29.0  # the envelope survives the coarser buckets
    assert int(days.count.sum()) == 3 * 24 * 30


def test_explicit_resolution_and_epoch_second_bounds(engine, month_of_data):
    end_s = END.timestamp()
    series = read_series(engine, SITE, "wl1", "level", end_s - 600, end_s, resolution="minute")
    assert series.resolution == "minute" and series.bucket_s == 60.0
    assert len(series) == 5  # one reading every 2 minutes -> 5 filled minute buckets
    empty = read_series(engine, SITE, "nosuch", "level", end_s - 600, end_s)
    assert len(empty) == 0 and empty.ts.dtype == np.float64


def test_export_rows_streams_raw_and_rollup_rows(engine, month_of_data):
    rows = list(export_rows(engine, SITE, END - timedelta(minutes=10), END))
    assert [r[1] for r in rows] == ["wl1"] * 5 + ["wl2"]
    assert len(rows[0]) == len(EXPORT_COLUMNS["raw"])
    assert rows[0][0] == END - timedelta(minutes=10) and rows[0][0].tzinfo is not None
    hourly = list(export_rows(engine, SITE, END - timedelta(hours=3), END, sensor_ids=["wl1"], resolution="hour"))
    assert len(hourly) == 3 and len(hourly[0]) == len(EXPORT_COLUMNS["hour"])
    _, _, _, lo, hi, avg, count = hourly[0]
    assert (lo, hi, avg, count) == (0.0, 29.0, 14.5, 30)


def test_retention_deletes_old_raw_rows_and_old_minute_rollups_only(engine, bus, writer, database_config):
    now = datetime.now(timezone.utc)
    old = now - timedelta(days=database_config.raw_retention_days + 2)
    ancient = now - timedelta(days=database_config.minute_rollup_retention_days + 2)
    for i in range(120):
        bus.publish(Reading("wl1", "level", old + timedelta(seconds=i), 1.0))
        bus.publish(Reading("wl1", "level", ancient + timedelta(seconds=i), 2.0))
        bus.publish(Reading("wl1", "level", now - timedelta(hours=1, seconds=i), 3.0))
    assert writer.flush(60)
    deleted = writer.request_retention().result(timeout=120)
    assert deleted["readings"] == 240
    with engine.connect() as connection:
        remaining = connection.execute(select(func.min(readings.c.ts_ms), func.count()).select_from(readings)).one()
        minute_min = connection.execute(select(func.min(rollup_minute.c.bucket_ms))).scalar_one()
        hour_count = connection.execute(select(func.sum(rollup_hour.c.count))).scalar_one()
    assert remaining[1] == 120 and remaining[0] >= to_ms(now - timedelta(hours=2))
    assert minute_min >= to_ms(old - timedelta(minutes=1))  # ancient minutes gone, old ones kept
    assert deleted["rollup_minute"] >= 2 and deleted["rollup_10min"] >= 1
    assert hour_count == 360  # hour rollups are never deleted
    series = read_series(engine, SITE, "wl1", "level", old - timedelta(hours=1), old + timedelta(hours=1), "minute")
    assert int(series.count.sum()) == 120  # old history still readable from rollups
    auto = read_series(engine, SITE, "wl1", "level", old - timedelta(minutes=5), old + timedelta(minutes=5))
    assert auto.resolution == "minute" and int(auto.count.sum()) == 120  # raw is gone: falls back
    ancient_view = read_series(engine, SITE, "wl1", "level", ancient, ancient + timedelta(minutes=5))
    assert ancient_view.resolution == "hour" and int(ancient_view.count.sum()) == 120


def test_retention_works_in_small_chunks(engine, bus, database_config):
    from controlroom.storage.writer import StorageWriter

    writer = StorageWriter(engine, bus, SITE, database_config, retention_chunk=50)
    writer.start()
    try:
        old = datetime.now(timezone.utc) - timedelta(days=database_config.raw_retention_days + 1)
        for i in range(333):
            bus.publish(Reading("wl1", "level", old + timedelta(seconds=i), 1.0))
        assert writer.flush(60)
        assert writer.request_retention().result(timeout=120)["readings"] == 333
        with engine.connect() as connection:
            assert connection.execute(select(func.count()).select_from(readings)).scalar_one() == 0
    finally:
        writer.stop()


def test_other_sites_rows_are_left_alone(engine, bus, writer):
    old = datetime.now(timezone.utc) - timedelta(days=100)
    with engine.begin() as connection:
        connection.execute(insert(readings), {"site_id": "othersite", "sensor_id": "wl1", "metric": "level", "ts_ms": to_ms(old), "value": 1.0})
    bus.publish(Reading("wl1", "level", old, 1.0))
    assert writer.flush(30)
    writer.request_retention().result(timeout=60)
    with engine.connect() as connection:
        sites = connection.execute(select(readings.c.site_id)).scalars().all()
    assert sites == ["othersite"]


def test_a_retention_pass_asks_once_per_table_which_series_have_old_rows(engine, bus, writer, database_config):
    """A busy site has hundreds of series; a pass with nothing (or little) old must not run a
    transaction per series and table in the writer thread between ingest batches."""
    from controlroom.storage.retention import retention_pass

    now = datetime.now(timezone.utc)
    old = now - timedelta(days=database_config.raw_retention_days + 1)
    for k in range(40):
        bus.publish(Reading(f"fresh{k}", "level", now - timedelta(minutes=5), 1.0))
    for i in range(7):
        bus.publish(Reading("stale1", "level", old + timedelta(seconds=i), 2.0))
    assert writer.flush(60)
    statements = []

    def transact(fn, what):
        statements.append(what)
        with engine.begin() as connection:
            return fn(connection)

    steps = retention_pass(transact, SITE, database_config, chunk=5, on_deleted=lambda n: None)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            deleted = done.value
            break
    assert deleted["readings"] == 7
    # three "which series" questions, and two chunks (5 + 2) for the one series with old rows
    assert len(statements) == 3 + 2
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(readings)).scalar_one() == 40
