"""Faults: a process killed mid-ingest, the database going away and coming back."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from controlroom.bus import EventBus
from controlroom.config import DatabaseConfig
from controlroom.domain import ConnectionState, Reading
from controlroom.storage.db import create_engine_for, migrate
from controlroom.storage.models import readings, rollup_minute
from controlroom.storage.writer import StorageWriter

from .conftest import POSTGRES_URL, SITE
from .tcp_proxy import TcpProxy

CHILD = Path(__file__).with_name("ingest_child.py")
T0 = datetime(2026, 11, 20, tzinfo=timezone.utc)


def _wait_for_rows(proc: subprocess.Popen, at_least: int, timeout: float = 120.0) -> int:
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], name="test-child-stdout", daemon=True).start()
    while True:
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"child never reported {at_least} rows")
        if line.startswith("written ") and int(line.split()[1]) >= at_least:
            return int(line.split()[1])


@pytest.mark.slow
def test_kill_9_mid_ingest_leaves_sqlite_clean_and_writable(tmp_path):
    path = tmp_path / "killed.sqlite3"
    url = f"sqlite:///{path.as_posix()}"
    proc = subprocess.Popen([sys.executable, str(CHILD), url], stdout=subprocess.PIPE, text=True)
    try:
        written = _wait_for_rows(proc, 20_000)
    finally:
        if hasattr(signal, "SIGKILL"):
            os.kill(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
        proc.wait(30)
    assert proc.returncode != 0

    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            stored = connection.execute(select(func.count()).select_from(readings)).scalar_one()
            rolled = connection.execute(select(func.sum(rollup_minute.c.count))).scalar_one()
        assert stored >= written
        assert rolled == stored  # readings and their rollups commit together or not at all
        migrate(engine)
        bus = EventBus()
        writer = StorageWriter(engine, bus, SITE, DatabaseConfig())
        writer.start()
        for i in range(1000):
            bus.publish(Reading("after", "level", T0 + timedelta(seconds=i), 1.0))
        assert writer.flush(60)
        writer.stop()
        with engine.connect() as connection:
            after = connection.execute(select(func.count()).select_from(readings)).scalar_one()
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        assert after == stored + 1000
    finally:
        engine.dispose()


def _wait_state(states: queue.Queue, connected: bool, timeout: float = 120.0) -> ConnectionState:
    while True:
        state = states.get(timeout=timeout)
        if state.link == "database" and state.connected == connected:
            return state


@pytest.mark.slow
def test_postgres_outage_keeps_the_batch_reports_it_and_recovers(pg_schema):
    target = make_url(POSTGRES_URL)
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    proxy.start()
    url = make_url(pg_schema).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    engine = create_engine_for(url)
    bus = EventBus()
    states: queue.Queue = queue.Queue()
    bus.subscribe(ConnectionState, states.put)
    writer = StorageWriter(engine, bus, SITE, DatabaseConfig())
    try:
        migrate(engine)
        writer.start()
        for i in range(500):
            bus.publish(Reading("wl1", "level", T0 + timedelta(seconds=i), 1.0))
        assert writer.flush(60)
        _wait_state(states, True)

        proxy.stop()
        for i in range(500, 2000):
            bus.publish(Reading("wl1", "level", T0 + timedelta(seconds=i), 2.0))
        down = _wait_state(states, False)
        assert down.detail
        assert writer.stats.database_connected is False and writer.stats.last_error

        proxy.start()
        _wait_state(states, True)
        assert writer.flush(120)
        with engine.connect() as connection:
            assert connection.execute(select(func.count()).select_from(readings)).scalar_one() == 2000
            assert connection.execute(select(func.sum(rollup_minute.c.count))).scalar_one() == 2000
    finally:
        writer.stop(timeout=5)
        engine.dispose()
        proxy.stop()


@pytest.mark.slow
def test_sqlite_locked_by_another_connection_holds_producers_back_and_drops_nothing(tmp_path):
    url = f"sqlite:///{(tmp_path / 'locked.sqlite3').as_posix()}"
    engine = create_engine_for(url)
    migrate(engine)
    bus = EventBus()
    states: queue.Queue = queue.Queue()
    bus.subscribe(ConnectionState, states.put)
    writer = StorageWriter(engine, bus, SITE, DatabaseConfig(), capacity=100)
    blocker = create_engine_for(url)
    producer = threading.Thread(
        target=lambda: [bus.publish(Reading("wl1", "level", T0 + timedelta(seconds=i), 1.0)) for i in range(700)],
        name="test-producer",
    )
    try:
        writer.start()
        other = blocker.raw_connection()  # a plain DBAPI connection: we drive BEGIN ourselves
        try:
            other.cursor().execute("BEGIN EXCLUSIVE")
            producer.start()
            _wait_state(states, False)  # after SQLite's busy timeout
            assert writer.stats.producer_waits >= 1 and producer.is_alive()  # held back, not dropped
            other.cursor().execute("ROLLBACK")
        finally:
            other.close()
        _wait_state(states, True)
        producer.join(60)
        assert writer.flush(60)
        with engine.connect() as connection:
            assert connection.execute(select(func.count()).select_from(readings)).scalar_one() == 700
    finally:
        producer.join(60)
        writer.stop()
        blocker.dispose()
        engine.dispose()


@pytest.mark.slow
def test_stop_with_the_database_down_gives_up_after_its_timeout_and_says_so(pg_schema, caplog):
    target = make_url(POSTGRES_URL)
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    proxy.start()
    url = make_url(pg_schema).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    engine = create_engine_for(url)
    bus = EventBus()
    states: queue.Queue = queue.Queue()
    bus.subscribe(ConnectionState, states.put)
    writer = StorageWriter(engine, bus, SITE, DatabaseConfig())
    try:
        migrate(engine)
        writer.start()
        proxy.stop()
        for i in range(100):
            bus.publish(Reading("wl1", "level", T0 + timedelta(seconds=i), 1.0))
        job = writer.execute(lambda connection: "never")
        _wait_state(states, False)
        writer.stop(timeout=1.0)
        assert not writer.running
        with pytest.raises(RuntimeError):
            job.result(timeout=5)
        assert "100 events and 1 jobs not saved" in caplog.text
        with pytest.raises(RuntimeError):
            writer.execute(lambda connection: None).result(timeout=5)  # refused, never hangs
    finally:
        writer.stop(timeout=1.0)
        engine.dispose()
        proxy.stop()
