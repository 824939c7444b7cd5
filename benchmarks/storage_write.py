"""Readings/s persisted through StorageWriter (bus -> inbox -> batched transactions with
rollups) vs a bare SQLAlchemy executemany of the same rows in 500-row transactions (no
rollups, no queue), in the same run on the same machine. Prints one JSON line.

    python benchmarks/storage_write.py [--n 200000] [--sensors 50] [--url postgresql+psycopg://...]

Default: fresh SQLite files in a temp dir. A PostgreSQL URL is used as is (tables must be
empty or the schema new; the benchmark migrates it).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from controlroom.bus import EventBus
from controlroom.config import DatabaseConfig
from controlroom.domain import Reading
from controlroom.storage.db import create_engine_for, migrate
from controlroom.storage.models import readings, rollup_10min, rollup_hour, rollup_minute, series, to_ms
from controlroom.storage.writer import StorageWriter

SITE = "bench"


def make_events(n: int, sensors: int) -> list[Reading]:
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return [Reading(f"s{i % sensors:03d}", "level", start + timedelta(milliseconds=100 * (i // sensors)), float(i % 1000) / 10) for i in range(n)]


def clear(engine) -> None:
    with engine.begin() as connection:
        for table in (readings, rollup_minute, rollup_10min, rollup_hour, series):
            connection.execute(delete(table).where(table.c.site_id == SITE))


def baseline(engine, events: list[Reading]) -> float:
    """Plain executemany of dicts, insert-or-ignore, 500 rows per transaction."""
    dialect_insert = sqlite.insert if engine.dialect.name == "sqlite" else postgresql.insert
    stmt = dialect_insert(readings).on_conflict_do_nothing()
    began = time.perf_counter()
    rows = [{"site_id": SITE, "sensor_id": e.sensor_id, "metric": e.metric, "ts_ms": to_ms(e.ts), "value": e.value} for e in events]
    for i in range(0, len(rows), 500):
        with engine.begin() as connection:
            connection.execute(stmt, rows[i : i + 500])
    return len(events) / (time.perf_counter() - began)


def through_writer(engine, events: list[Reading]) -> tuple[float, dict]:
    bus = EventBus()
    writer = StorageWriter(engine, bus, SITE, DatabaseConfig())
    writer.start()
    began = time.perf_counter()
    for event in events:
        bus.publish(event)
    if not writer.flush(600):
        raise SystemExit("writer did not flush within 600 s")
    elapsed = time.perf_counter() - began
    stats = writer.stats
    writer.stop()
    return len(events) / elapsed, {"batches": stats.batches, "producer_waits": stats.producer_waits, "rows_written": stats.rows_written}


def count(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(readings).where(readings.c.site_id == SITE)).scalar_one()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--sensors", type=int, default=50)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    events = make_events(args.n, args.sensors)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{(Path(tmp) / 'bench.sqlite3').as_posix()}"
        engine = create_engine_for(url)
        migrate(engine)
        clear(engine)
        base_rate = baseline(engine, events)
        clear(engine)
        rate, stats = through_writer(engine, events)
        stored = count(engine)
        with engine.connect() as connection:
            rolled = connection.execute(select(func.sum(rollup_minute.c.count)).where(rollup_minute.c.site_id == SITE)).scalar_one()
        clear(engine)
        engine.dispose()
    print(json.dumps({
        "name": "storage_write",
        "backend": engine.dialect.name,
        "readings": args.n,
        "readings_per_s": round(rate),
        "baseline_readings_per_s": round(base_rate),
        "ratio": round(rate / base_rate, 3),
        "lost": args.n - stored,
        "rollup_count_matches": rolled == stored,
        **stats,
    }))


if __name__ == "__main__":
    main()
