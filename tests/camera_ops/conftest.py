"""Camera-operations fixtures: a SQLite database with its one writer, an audit log."""

from __future__ import annotations

import pytest

from controlroom.audit import AuditLog
from controlroom.bus import EventBus
from controlroom.config import DatabaseConfig
from controlroom.storage.db import create_engine_for, migrate
from controlroom.storage.writer import StorageWriter

SITE = "quangtho"


@pytest.fixture
def engine(tmp_path):
    engine = create_engine_for(f"sqlite:///{(tmp_path / 'db.sqlite3').as_posix()}")
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def writer(engine):
    writer = StorageWriter(engine, EventBus(), SITE, DatabaseConfig())
    writer.start()
    yield writer
    writer.stop()


@pytest.fixture
def audit(writer):
    return AuditLog(writer, SITE)
