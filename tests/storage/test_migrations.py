from __future__ import annotations

from sqlalchemy import inspect

from controlroom.storage.db import create_engine_for, current_revision, head_revision, migrate
from controlroom.storage.models import metadata


def test_migrations_create_every_table_on_an_empty_database(db_url):
    engine = create_engine_for(db_url)
    try:
        assert current_revision(engine) is None
        migrate(engine)
        assert current_revision(engine) == head_revision()
        tables = set(inspect(engine).get_table_names())
        assert set(metadata.tables) <= tables
        for name, table in metadata.tables.items():
            assert any(c.name == "site_id" for c in table.columns), f"{name} lacks site_id"
    finally:
        engine.dispose()


def test_migrate_twice_is_a_no_op(engine):
    migrate(engine)
    assert current_revision(engine) == head_revision()


def test_schema_matches_the_models_after_migration(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata)
    assert diff == []


def test_sqlite_file_gets_wal_and_its_parent_directory(tmp_path):
    path = tmp_path / "new" / "nested" / "room.sqlite3"
    engine = create_engine_for(f"sqlite:///{path.as_posix()}")
    try:
        migrate(engine)
        assert path.exists()
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0
    finally:
        engine.dispose()


def test_ten_minute_rollups_are_filled_from_the_stored_minute_rollups(db_url):
    from sqlalchemy import insert, select

    from controlroom.storage.models import rollup_10min, rollup_minute

    engine = create_engine_for(db_url)
    try:
        migrate(engine, "0003")  # a database from before ten-minute rollups
        with engine.begin() as connection:
            connection.execute(insert(rollup_minute), [
                {"site_id": "s", "sensor_id": "wl1", "metric": "level", "bucket_ms": 600_000 + 60_000 * i,
                 "min": float(i), "max": float(i + 5), "sum": 2.0 * i, "count": 2} for i in range(12)])
        migrate(engine)
        with engine.connect() as connection:
            rows = connection.execute(select(rollup_10min).order_by(rollup_10min.c.bucket_ms)).all()
        assert [(r.bucket_ms, r.min, r.max, r.sum, r.count) for r in rows] == [
            (600_000, 0.0, 14.0, 90.0, 20), (1_200_000, 10.0, 16.0, 42.0, 4)]
    finally:
        engine.dispose()
