"""One way to write "insert, or update on conflict" on both supported databases."""

from __future__ import annotations

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def dialect_insert(connection: Connection, table: Table):
    """The INSERT construct of the connection's dialect (it has ``on_conflict_do_*``)."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        return sqlite.insert(table)
    if dialect == "postgresql":
        return postgresql.insert(table)
    raise NotImplementedError(f"storage supports SQLite and PostgreSQL, not {dialect}")


def upsert(connection: Connection, table: Table, rows: list[dict], keys: list[str], keep: tuple[str, ...] = ()) -> None:
    """Insert `rows`; a row whose `keys` exist already updates its other columns instead,
    but for those in `keep` (a creation time, say)."""
    if not rows:
        return
    statement = dialect_insert(connection, table)
    update = {c: statement.excluded[c] for c in rows[0] if c not in keys and c not in keep}
    connection.execute(statement.on_conflict_do_update(index_elements=keys, set_=update), rows)
