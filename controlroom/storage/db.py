"""Engines and schema migrations for the control room's database.

SQLite is the default (one console, a file in the user data dir); PostgreSQL
(``postgresql+psycopg://…``) when two consoles or a province share one database. The same
models and migrations run on both.

SQLite is opened in WAL mode with ``synchronous=NORMAL``: readers (graphs, exports) never
block the single writer, and a crash or power loss can lose at most the last commits, never
corrupt the file. The driver's own transaction handling is switched off and we emit ``BEGIN``
ourselves, so DDL (migrations) is transactional and the writer can take the write lock up
front (``BEGIN IMMEDIATE``) instead of failing half-way on a lock upgrade.
"""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import StaticPool

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 10_000
PG_CONNECT_TIMEOUT_S = 5
_MIGRATION_LOCK_ID = 0x43524D47  # "CRMG": serialises migrate() of two consoles on one PostgreSQL

# Execution option for a connection whose next transaction should take SQLite's write lock
# at BEGIN (the writer thread). Ignored on other backends.
IMMEDIATE = {"sqlite_begin": "IMMEDIATE"}


def create_engine_for(url: str) -> Engine:
    """An Engine for `url`, configured for this app (SQLite pragmas, PostgreSQL timeouts).

    For a SQLite file the parent directory is created. Anything else is handed to
    SQLAlchemy unchanged (e.g. ``?options=-csearch_path%3Dother`` for a schema)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database)
    if parsed.get_backend_name() == "postgresql":
        connect_args = {} if "connect_timeout" in parsed.query else {"connect_timeout": PG_CONNECT_TIMEOUT_S}
        return create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    return create_engine(url, pool_pre_ping=True)


def _sqlite_engine(url: str, database: str | None) -> Engine:
    in_memory = not database or database == ":memory:" or database.startswith("file::memory:")
    if not in_memory:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    if in_memory:  # one shared connection, or every thread would see its own empty database
        engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (see module doc)
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA temp_store=MEMORY")
            cursor.execute("PRAGMA cache_size=-32000")  # 32 MB page cache per connection
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "")
        connection.exec_driver_sql(f"BEGIN {mode}".strip())

    return engine


def _alembic_config(connection: Connection):
    from alembic.config import Config

    config = Config()
    # The migrations ship as package data, so this works from a wheel as well as a checkout.
    config.set_main_option("script_location", str(resources.files("controlroom.storage.migrations")))
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to the newest revision (Alembic ``upgrade head``), in one transaction.
    Tests of a migration stop at an older ``revision`` first.

    Safe to call on every start and from two consoles at once: on PostgreSQL an advisory lock
    makes the second wait for the first, then find nothing to do."""
    from alembic import command

    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_ID})")
        command.upgrade(_alembic_config(connection), revision)


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at (None for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The newest revision this version of the app knows."""
    from alembic.script import ScriptDirectory

    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("controlroom.storage.migrations")))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None, "no migrations shipped"
    return head
