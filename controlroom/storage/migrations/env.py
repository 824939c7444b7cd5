"""Alembic environment: runs on the connection `controlroom.storage.db.migrate` hands over.

For developers, ``alembic -c <ini> revision --autogenerate`` also works with an ini that sets
``script_location = controlroom/storage/migrations`` and ``sqlalchemy.url``.
"""

from __future__ import annotations

from alembic import context

from controlroom.storage.models import metadata


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTERs via table copy
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from controlroom.paths import default_database_url
    from controlroom.storage.db import create_engine_for

    url = context.config.get_main_option("sqlalchemy.url") or default_database_url()
    engine = create_engine_for(url)
    with engine.begin() as connection:
        _run(connection)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run against a database")
_main()
