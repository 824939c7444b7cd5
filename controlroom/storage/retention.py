"""Retention: raw readings older than ``raw_retention_days`` and minute and ten-minute rollups
older than ``minute_rollup_retention_days`` are deleted; hour rollups are kept (one row per metric per
hour is small), so long-range graphs still work after the raw rows are gone.

Deletes go per series through the primary key, a chunk per transaction, as a generator the
writer thread advances one step between batches, so ingest never waits behind a big delete.
Only this site's rows are touched (a province database holds other communes too).
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

from sqlalchemy import Table, and_, delete, select
from sqlalchemy.engine import Connection

from controlroom.config import DatabaseConfig
from controlroom.storage.models import readings, rollup_10min, rollup_minute, series, to_ms

log = logging.getLogger(__name__)

DAY_MS = 86_400_000
Transact = Callable[[Callable[[Connection], Any], str], Any]


def retention_pass(
    transact: Transact, site_id: str, database: DatabaseConfig, chunk: int, on_deleted: Callable[[int], None]
) -> Iterator[None]:
    """Yields after each chunk; returns (StopIteration.value) the rows deleted per table."""
    now_ms = to_ms(datetime.now(timezone.utc))
    cutoffs = {
        readings: now_ms - database.raw_retention_days * DAY_MS,
        rollup_minute: now_ms - database.minute_rollup_retention_days * DAY_MS,
        rollup_10min: now_ms - database.minute_rollup_retention_days * DAY_MS,
    }
    keys = transact(lambda c: series_keys(c, site_id), "retention")
    deleted = {table.name: 0 for table in cutoffs}
    for table, cutoff in cutoffs.items():
        for sensor_id, metric in keys:
            while True:
                n = transact(lambda c: delete_chunk(c, table, site_id, sensor_id, metric, cutoff, chunk), "retention")
                deleted[table.name] += n
                on_deleted(n)
                yield
                if n < chunk:
                    break
    if any(deleted.values()):
        log.info("retention deleted %s", deleted)
    return deleted




def series_keys(connection: Connection, site_id: str) -> list[tuple[str, str]]:
    return [tuple(r) for r in connection.execute(select(series.c.sensor_id, series.c.metric).where(series.c.site_id == site_id))]


def delete_chunk(connection: Connection, table: Table, site_id: str, sensor_id: str, metric: str, cutoff_ms: int, chunk: int) -> int:
    """Delete at most `chunk` of the oldest rows of one series older than `cutoff_ms`, through
    the primary key (index range on both backends; no DELETE ... LIMIT needed)."""
    time_col = table.c.ts_ms if table is readings else table.c.bucket_ms
    where = and_(table.c.site_id == site_id, table.c.sensor_id == sensor_id, table.c.metric == metric)
    bound = connection.execute(
        select(time_col).where(where, time_col < cutoff_ms).order_by(time_col).offset(chunk - 1).limit(1)
    ).scalar()
    limit_clause = time_col < cutoff_ms if bound is None else time_col <= bound
    return connection.execute(delete(table).where(where, limit_clause)).rowcount or 0

