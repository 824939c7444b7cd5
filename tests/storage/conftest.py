"""Storage fixtures: every storage test runs on a fresh SQLite file AND on PostgreSQL.

PostgreSQL tests get their own schema (random name, dropped afterwards) through the URL's
``options=-csearch_path=…``, so parallel runs and CI jobs on one server never collide.
"""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from controlroom.bus import EventBus
from controlroom.config import DatabaseConfig
from controlroom.storage.db import create_engine_for, migrate
from controlroom.storage.writer import StorageWriter

# Same source as tests/conftest.py's POSTGRES_URL (importlib import mode: not importable here).
POSTGRES_URL = os.environ.get("CONTROLROOM_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SITE = "quangtho"


def postgres_schema_url(schema: str) -> str:
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture
def pg_schema():
    """A fresh PostgreSQL schema; yields its URL, drops it afterwards."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    except OperationalError as exc:
        admin.dispose()
        pytest.fail(f"PostgreSQL at {POSTGRES_URL} is needed for storage tests: {exc.orig}")
    yield postgres_schema_url(schema)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{(tmp_path / 'db' / 'controlroom.sqlite3').as_posix()}"
    return request.getfixturevalue("pg_schema")


@pytest.fixture
def engine(db_url):
    engine = create_engine_for(db_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def bus():
    return EventBus()


@pytest.fixture
def database_config():
    return DatabaseConfig(raw_retention_days=35, minute_rollup_retention_days=400)


@pytest.fixture
def writer(engine, bus, database_config):
    writer = StorageWriter(engine, bus, SITE, database_config)
    writer.start()
    yield writer
    writer.stop()
