"""The one database writer thread of a console.

Bus callbacks (on the MQTT thread) only append the event to a bounded inbox. The writer
thread takes everything that piled up every ~200 ms, or as soon as 500 rows wait, and writes
it in one transaction per chunk: readings (duplicates ignored), rollups and the series table
(see ``ingest_sql``), device status. Any other write (alerts, broadcasts, audit, snapshots)
goes through ``execute(fn)`` so it runs on this same thread, never on the GUI thread.

Nothing is dropped, and storage never holds up live alerting:

- When the MQTT feed acknowledges each message only after the writer committed what it
  carried (``feed.acknowledge_after(writer)``, MQTT 5), the broker's in-flight window
  (Receive Maximum) bounds the inbox and the feed is never made to wait: during a database
  outage readings keep reaching the alert engine until that window is full, and every
  unacknowledged message stays with the broker's persistent session.
- Other producers (a feed without manual acks, benchmarks) wait while the inbox holds
  ``capacity`` events.
- Jobs (``execute``: alerts, audit, broadcasts) are bounded by ``max_jobs``; past it a job is
  refused at once with ``StorageBusy`` on its Future (the caller counts and says so).

A database error (PostgreSQL down, SQLite locked, disk full) keeps the batch and retries it
with backoff while ``ConnectionState("database", False, …)`` is on the bus; ``True`` follows
on recovery. Only ``stop()`` with the database still down after its timeout gives up, and
says how many rows it could not save (their messages were never acknowledged).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from controlroom.bus import EventBus
from controlroom.config import DatabaseConfig
from controlroom.domain import DeviceStatus, Reading
from controlroom.storage import ingest_sql, retention
from controlroom.storage.transactions import GaveUp, RetryingTransactions
from controlroom.storage.models import to_ms

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WriterStats:
    rows_written: int  # readings inserted (duplicates not counted)
    duplicates: int  # redelivered readings ignored
    rejected: int  # readings that cannot be stored (NaN/inf value), logged
    batches: int  # committed reading transactions
    queue_depth: int  # events + jobs waiting
    write_rate: float  # readings inserted per second over the last few seconds
    jobs_run: int
    job_errors: int
    retention_deleted: int
    producer_waits: int  # times a producer was held back by a full inbox
    database_connected: bool | None
    last_error: str | None


class _Job:
    __slots__ = ("fn", "future")

    def __init__(self, fn: Callable[[Connection], Any]) -> None:
        self.fn = fn
        self.future: Future = Future()


class StorageBusy(RuntimeError):
    """Too many storage jobs wait (the database is down or far behind); the job was not queued."""


class StorageWriter:
    """THE writer thread (``storage-writer``). ``start()``, ``stop()`` (flushes and joins)."""

    def __init__(
        self,
        engine: Engine,
        bus: EventBus,
        site_id: str,
        database: DatabaseConfig,
        *,
        batch_rows: int = 500,
        flush_interval_s: float = 0.2,
        max_transaction_rows: int = 5000,
        capacity: int = 50_000,
        max_jobs: int = 10_000,
        retention_interval_s: float = 600.0,
        retention_chunk: int = 5000,
        ingest: bool = True,
    ) -> None:
        """`ingest=False`: a console attached to its site's service, which stores readings and
        statuses and runs retention; this writer then only runs the console's own jobs."""
        self.engine = engine
        self.bus = bus
        self.site_id = site_id
        self.database = database
        self.batch_rows = batch_rows
        self.flush_interval_s = flush_interval_s
        self.max_transaction_rows = max_transaction_rows
        self.capacity = capacity
        self.max_jobs = max_jobs
        self.inbox_bounded_by_broker = False  # set by a feed that acknowledges after commit
        self.ingest = ingest

        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._not_full = threading.Condition(self._lock)
        self._done = threading.Condition(self._lock)
        self._events: deque = deque()
        self._jobs: deque[_Job] = deque()
        self._enqueued = 0
        self._processed = 0
        self._events_accepted = 0  # events ever taken into the inbox
        self._events_done = 0  # of those, committed (or refused for good: a NaN is never storable)
        self._commit_listeners: list[Callable[[int], None]] = []
        self._stopping = False
        self._transactions = RetryingTransactions(engine, bus)
        self._transact = self._transactions.run
        self._thread: threading.Thread | None = None
        self._unsubscribe: list[Callable[[], None]] = []

        self._rows_written = 0
        self._duplicates = 0
        self._rejected = 0
        self._batches = 0
        self._jobs_run = 0
        self._job_errors = 0
        self._producer_waits = 0
        self._last_error: str | None = None
        self._rate_window: deque[tuple[float, int]] = deque(maxlen=256)
        self._retention = retention.RetentionSchedule(self._transact, site_id, database, retention_interval_s,
                                                      retention_chunk)

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("StorageWriter already started")
        self._stopping = False
        self._transactions.reset()
        self._thread = threading.Thread(target=self._run, name="storage-writer", daemon=True)
        self._thread.start()
        if self.ingest:
            self._unsubscribe = [
                self.bus.subscribe(Reading, self._enqueue, batch=self._enqueue_batch),
                self.bus.subscribe(DeviceStatus, self._enqueue, batch=self._enqueue_batch),
            ]

    def stop(self, timeout: float = 10.0) -> None:
        """Unsubscribe, write everything queued, join. If the database stays down longer
        than `timeout`, give up: the unsaved count is logged as an error."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        thread = self._thread
        if thread is None:
            return
        with self._lock:
            self._stopping = True
            self._wake.notify_all()
            self._not_full.notify_all()
        self._transactions.give_up_after(timeout)
        thread.join(timeout + 5.0)
        if thread.is_alive():
            log.error("storage writer did not stop within %.0f s", timeout + 5.0)
        self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- producers (any thread) ---------------------------------------------------------

    def _wait_for_room(self) -> None:
        """Hold a producer while the inbox is full (lock held); never when the broker bounds it."""
        if self.inbox_bounded_by_broker or len(self._events) < self.capacity or self._stopping:
            return
        self._producer_waits += 1
        while len(self._events) >= self.capacity and not self._stopping:
            self._not_full.wait(1.0)

    def _enqueue(self, event: Reading | DeviceStatus) -> None:
        """Bus callback: append, or wait while the inbox is full (never drop)."""
        with self._lock:
            self._wait_for_room()
            self._events.append(event)
            self._events_accepted += 1
            self._enqueued += 1
            if len(self._events) == self.batch_rows:
                self._wake.notify()

    submit = _enqueue  # for synthetic feeds and benchmarks that bypass the bus

    def _enqueue_batch(self, events) -> None:
        """Bus batch callback: the whole batch under one lock (the inbox may overshoot its
        capacity by one batch; a batch is bounded by the feed's Receive Maximum)."""
        with self._lock:
            self._wait_for_room()
            before = len(self._events)
            self._events.extend(events)
            self._events_accepted += len(events)
            self._enqueued += len(events)
            if before < self.batch_rows <= len(self._events):
                self._wake.notify()

    submit_batch = _enqueue_batch

    def execute(self, fn: Callable[[Connection], Any]) -> Future:
        """Run `fn(connection)` on the writer thread in its own transaction; returns a Future
        with fn's result. Never blocks the caller (safe from the GUI thread). A database
        outage retries fn; any other error is logged, counted and set on the Future."""
        job = _Job(fn)
        with self._lock:
            if self._stopping and self._thread is None:
                log.warning("storage job %r refused: the writer is stopped", fn)
                job.future.set_exception(RuntimeError("StorageWriter is stopped"))
                return job.future
            if len(self._jobs) >= self.max_jobs:
                self._job_errors += 1
                job.future.set_exception(StorageBusy(f"{len(self._jobs)} storage jobs are waiting"))
                return job.future
            self._jobs.append(job)
            self._enqueued += 1
            self._wake.notify()
        return job.future

    @property
    def events_accepted(self) -> int:
        """How many events the inbox has taken so far (a position in its FIFO)."""
        with self._lock:
            return self._events_accepted

    @property
    def events_done(self) -> int:
        """How many of the accepted events are committed (or refused for good)."""
        return self._events_done

    def add_commit_listener(self, listener: Callable[[int], None]) -> None:
        """`listener(done)` on the writer thread after each batch: the first `done` events
        accepted are now committed (or refused for good). A feed acknowledges with it."""
        self._commit_listeners.append(listener)

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until everything queued before this call is committed (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            target = self._enqueued
            self._wake.notify()
            while self._processed < target:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._done.wait(min(remaining, 0.5))
        return True

    def request_retention(self) -> Future:
        """Start a retention pass soon; the Future gets the rows deleted per table."""
        future = self._retention.request()
        with self._lock:
            self._wake.notify()
        return future

    @property
    def stats(self) -> WriterStats:
        with self._lock:
            depth = len(self._events) + len(self._jobs)
            window = list(self._rate_window)
        now = time.monotonic()
        recent = [(t, n) for t, n in window if now - t <= 5.0]
        rate = sum(n for _, n in recent) / max(now - recent[0][0], 1.0) if recent else 0.0
        return WriterStats(
            rows_written=self._rows_written,
            duplicates=self._duplicates,
            rejected=self._rejected,
            batches=self._batches,
            queue_depth=depth,
            write_rate=rate,
            jobs_run=self._jobs_run,
            job_errors=self._job_errors,
            retention_deleted=self._retention.deleted,
            producer_waits=self._producer_waits,
            database_connected=self._transactions.connected,
            last_error=self._last_error or self._transactions.last_error,
        )

    # --- the writer thread ----------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._lock:
                # while a retention pass runs, do not idle: one chunk per loop, ingest first
                idle = 0.0 if self._retention.running else self.flush_interval_s
                deadline = time.monotonic() + idle
                while not self._stopping and not self._jobs and len(self._events) < self.batch_rows:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._wake.wait(remaining)
                events, self._events = self._events, deque()
                jobs, self._jobs = self._jobs, deque()
                stopping = self._stopping
                self._not_full.notify_all()
            written = False
            try:
                if events:
                    self._write_events(events)
                    written = True
                    self._committed(len(events))
                for job in jobs:
                    self._run_job(job)
            except GaveUp:
                self._give_up(len(events), jobs)
                return
            except Exception:  # a bug here must not end all persistence: say it loudly, go on
                self._last_error = "writer: unexpected error (see log)"
                log.exception("storage writer failed on a batch of %d events", len(events))
                if events and not written:  # lost to the bug (logged): the feed must not stall behind them
                    self._committed(len(events))
            with self._lock:
                self._processed += len(events) + len(jobs)
                self._done.notify_all()
                if stopping and not self._events and not self._jobs:
                    return
            if not stopping and self.ingest:
                self._retention_tick()

    def _committed(self, count: int) -> None:
        self._events_done += count
        for listener in self._commit_listeners:
            try:
                listener(self._events_done)
            except Exception:  # an acknowledgement problem must not stop storage
                log.exception("commit listener %r failed", listener)

    def _give_up(self, events_in_hand: int, jobs: deque) -> None:
        with self._lock:
            unsaved = events_in_hand + len(self._events)
            jobs = list(jobs) + list(self._jobs)
            self._events.clear()
            self._jobs.clear()
            self._processed = self._enqueued
            self._done.notify_all()
        for job in jobs:
            if not job.future.done():
                job.future.set_exception(RuntimeError("database unavailable at shutdown"))
        log.error(
            "storage writer stopped with the database unavailable: %d events and %d jobs not saved (%s)",
            unsaved, len(jobs), self._last_error or self._transactions.last_error,
        )

    def _write_events(self, events: deque) -> None:
        rows: list[tuple] = []
        statuses: list[DeviceStatus] = []
        site_id = self.site_id
        isfinite = math.isfinite
        append = rows.append
        last_ts = last_ms = None  # the readings of one message share one datetime object
        for event in events:
            if type(event) is Reading:
                value = event.value
                if not isfinite(value):
                    self._reject(event, "value is not a finite number")
                    continue
                ts = event.ts
                if ts is not last_ts:
                    last_ts, last_ms = ts, to_ms(ts)
                append((site_id, event.sensor_id, event.metric, last_ms, float(value)))
            else:
                statuses.append(event)
        # Key order: b-tree locality, and no lock-order deadlocks between two writers (PostgreSQL).
        # Not optional on SQLite either: unsorted, the service took 12.5-14.6 us of CPU per reading
        # in a flood against 8.8-9.8 sorted (benchmarks/service.py), though the sort itself costs 0.26.
        rows.sort()
        step = self.max_transaction_rows
        for start in range(0, len(rows), step):
            self._write_rows(rows[start : start + step])
        for status in statuses:
            try:
                self._transact(
                    lambda c: ingest_sql.write_device_status(c, site_id, status.device_id, status.online, to_ms(status.ts)),
                    "device status",
                )
            except DBAPIError as exc:
                self._reject(status, f"{type(exc.orig).__name__}: {exc.orig}")

    def _write_rows(self, rows: list[tuple]) -> None:
        """One transaction; a batch the database refuses (not an outage) is split in halves
        until the offending rows are found, logged and counted; the rest is stored."""
        try:
            result = self._transact(lambda c: ingest_sql.write_readings(c, rows), "readings")
        except DBAPIError as exc:
            if len(rows) == 1:
                self._reject(rows[0], f"{type(exc.orig).__name__}: {exc.orig}")
                return
            half = len(rows) // 2
            self._write_rows(rows[:half])
            self._write_rows(rows[half:])
            return
        self._rows_written += result.inserted
        self._duplicates += result.duplicates
        self._batches += 1
        self._rate_window.append((time.monotonic(), result.inserted))

    def _reject(self, item: Any, reason: str) -> None:
        self._rejected += 1
        if self._rejected <= 10 or self._rejected % 1000 == 0:
            log.error("reading not stored (%s): %r [%d so far]", reason, item, self._rejected)

    def _run_job(self, job: _Job) -> None:
        if not job.future.set_running_or_notify_cancel():
            return
        try:
            result = self._transact(job.fn, getattr(job.fn, "__name__", "job"))
        except GaveUp:
            raise
        except Exception as exc:  # a caller's bug must not kill the writer: count, log, report
            self._job_errors += 1
            self._last_error = f"job {getattr(job.fn, '__name__', job.fn)!r}: {type(exc).__name__}: {exc}"
            log.exception("storage job %r failed", job.fn)
            job.future.set_exception(exc)
            return
        self._jobs_run += 1
        job.future.set_result(result)

    # --- retention ------------------------------------------------------------------------

    def _retention_tick(self) -> None:
        """One small chunk of retention between batches, so ingest always comes first."""
        with self._lock:
            busy = len(self._events) >= self.batch_rows or bool(self._jobs)
        try:
            self._retention.step(busy)
        except GaveUp:
            self._retention.abort()
        if self._retention.last_error:
            self._last_error, self._retention.last_error = self._retention.last_error, None
