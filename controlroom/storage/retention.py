"""Retention: raw readings older than ``raw_retention_days`` and minute and ten-minute rollups
older than ``minute_rollup_retention_days`` are deleted; hour rollups are kept (one row per metric per
hour is small), so long-range graphs still work after the raw rows are gone.

Deletes go per series through the primary key, a chunk per transaction, as a generator the
writer thread advances one step between batches, so ingest never waits behind a big delete.
Which series have anything to delete is asked once per table (an index probe per series inside
the database): a pass over a store with nothing old is three statements, not one transaction
per series and table (a few thousand at a busy site, in the writer thread between batches).
Only this site's rows are touched (a province database holds other communes too).
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

from sqlalchemy import Table, and_, delete, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

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
    deleted = {table.name: 0 for table in cutoffs}
    for table, cutoff in cutoffs.items():
        keys = transact(lambda c: series_with_rows_before(c, table, site_id, cutoff), "retention")
        yield
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


class RetentionSchedule:
    """When the writer thread runs retention: a pass every `interval_s` (the first soon after
    start), one chunk per `step()` between batches so ingest always comes first, and a pass on
    request (`request()`; its Future gets the rows deleted per table)."""

    def __init__(self, transact: Transact, site_id: str, database: DatabaseConfig, interval_s: float, chunk: int) -> None:
        self._transact, self._site_id, self._database = transact, site_id, database
        self.interval_s, self.chunk = interval_s, chunk
        self.deleted = 0
        self.last_error: str | None = None
        self._lock = threading.Lock()
        self._futures: list[Future] = []
        self._pass: Iterator[None] | None = None
        self._next = time.monotonic() + min(30.0, interval_s)

    @property
    def running(self) -> bool:
        return self._pass is not None

    def request(self) -> Future:
        future: Future = Future()
        with self._lock:
            self._futures.append(future)
            self._next = 0.0
        return future

    def abort(self) -> None:
        """The writer is stopping with the database down: drop the pass in progress."""
        self._pass = None

    def step(self, busy: bool) -> None:
        """One chunk of the pass due now, unless ingest is `busy` (writer thread)."""
        if self._pass is None:
            if time.monotonic() < self._next:
                return
            self._pass = retention_pass(self._transact, self._site_id, self._database, self.chunk, self._count)
        if busy:
            return
        try:
            next(self._pass)
        except StopIteration as done:
            self._pass = None
            self._next = time.monotonic() + self.interval_s
            with self._lock:
                futures, self._futures = self._futures, []
            for future in futures:
                future.set_result(done.value)
        except DBAPIError as exc:
            self._pass = None
            self._next = time.monotonic() + self.interval_s
            self.last_error = f"retention: {exc.orig}"
            log.error("retention pass failed, next try in %.0f s: %s", self.interval_s, exc.orig)

    def _count(self, n: int) -> None:
        self.deleted += n


def series_with_rows_before(connection: Connection, table: Table, site_id: str, cutoff_ms: int) -> list[tuple[str, str]]:
    """The site's series (sensor, metric) with a row in `table` older than `cutoff_ms`: one
    statement, each series an index probe on the table's primary key."""
    time_col = table.c.ts_ms if table is readings else table.c.bucket_ms
    s = series.c
    old = select(time_col).where(table.c.site_id == s.site_id, table.c.sensor_id == s.sensor_id,
                                 table.c.metric == s.metric, time_col < cutoff_ms).exists()
    return [tuple(r) for r in connection.execute(select(s.sensor_id, s.metric).where(s.site_id == site_id, old))]


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

