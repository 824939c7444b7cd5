"""The SQL the writer thread runs for one batch: readings, rollups, series, device status,
and the chunked retention deletes. Plain functions of a Connection, no threads here.

Duplicate-safe by construction: readings are inserted with ON CONFLICT DO NOTHING ...
RETURNING, and rollups/series are updated only from the rows that were really inserted, so
a redelivered message (QoS 1, a second console on the same PostgreSQL) never counts twice.
Rows and upserts are sorted by key so two writers on one PostgreSQL lock keys in the same
order and cannot deadlock each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain
from typing import Iterable

from sqlalchemy import Table, case, func, select
from sqlalchemy.engine import Connection

from controlroom.storage.upsert import dialect_insert
from controlroom.storage.models import (
    ROLLUP_TABLES,
    device_status_history,
    devices,
    readings,
    series,
    to_ms,
)

ReadingRow = tuple  # (site_id, sensor_id, metric, ts_ms, value)

# SQLite fast path: many rows per statement. SQLite runs a statement with the interpreter lock
# released; executemany takes it back after every row, so the feed and alert engine threads
# waited on the writer once per row (readings) or per key (rollups, series: thousands a batch).
# As many rows as fit in 999 parameters, the oldest SQLite limit.
_SQLITE_MAX_PARAMETERS = 999


def _sqlite_many(connection: Connection, sql: str, rows: list[tuple]) -> int:
    """Run `sql` (one ``VALUES (?, …)`` group) over `rows` as multi-row statements; the number
    of rows changed."""
    if not rows:
        return 0
    head, group, tail = _split_values(sql)
    per_statement = max(1, _SQLITE_MAX_PARAMETERS // group.count("?"))
    full = None
    changed = 0
    for start in range(0, len(rows), per_statement):
        chunk = rows[start:start + per_statement]
        if len(chunk) == per_statement:
            full = full or head + ",".join([group] * per_statement) + tail
            text = full
        else:
            text = head + ",".join([group] * len(chunk)) + tail
        changed += connection.exec_driver_sql(text, tuple(chain.from_iterable(chunk))).rowcount
    return changed


def _split_values(sql: str) -> tuple[str, str, str]:
    """("INSERT … VALUES ", "(?, ?)", " ON CONFLICT …") of a one-row statement."""
    at = sql.index(" VALUES (") + len(" VALUES ")
    end = sql.index(")", at) + 1
    return sql[:at], sql[at:end], sql[end:]


_SQLITE_INSERT = ("INSERT INTO readings (site_id, sensor_id, metric, ts_ms, value) VALUES (?,?,?,?,?) "
                  "ON CONFLICT DO NOTHING")

_PG_INSERT = (
    "INSERT INTO readings (site_id, sensor_id, metric, ts_ms, value) "
    "SELECT * FROM unnest(%(site_id)s::varchar[], %(sensor_id)s::varchar[], %(metric)s::varchar[], "
    "%(ts_ms)s::bigint[], %(value)s::float8[]) "
    "ON CONFLICT DO NOTHING RETURNING site_id, sensor_id, metric, ts_ms, value"
)


def _least(connection: Connection):
    return (func.min, func.max) if connection.dialect.name == "sqlite" else (func.least, func.greatest)


_ROLLUP_COLUMNS = ("site_id", "sensor_id", "metric", "bucket_ms", "min", "max", "sum", "count")
_SERIES_COLUMNS = ("site_id", "sensor_id", "metric", "first_ms", "last_ms", "last_value")
_SQLITE_SQL: dict[str, str | None] = {}  # statement name -> SQL text (None: fall back)


def _sqlite_sql(connection: Connection, name: str, build, columns: tuple[str, ...]) -> str | None:
    """The SQLite text of a statement SQLAlchemy builds, compiled once: executemany with
    plain tuples then skips SQLAlchemy's per-row parameter processing. None if the
    compiled parameters are not exactly `columns` in order (then the caller uses Core)."""
    if name not in _SQLITE_SQL:
        compiled = build().compile(dialect=connection.dialect)
        ok = tuple(compiled.positiontup or ()) == columns
        _SQLITE_SQL[name] = str(compiled) if ok else None
    return _SQLITE_SQL[name]


@dataclass
class BatchResult:
    inserted: int = 0
    duplicates: int = 0


def write_readings(connection: Connection, rows: list[ReadingRow]) -> BatchResult:
    """Insert `rows` (sorted by key by the caller), ignore duplicates, update rollups and
    series from the rows actually inserted. Runs inside the caller's transaction."""
    if not rows:
        return BatchResult()
    if connection.dialect.name == "postgresql":
        inserted = _insert_unnest(connection, rows)
    else:
        inserted = _insert_all_new(connection, rows)
        if inserted is None:
            inserted = _insert_returning(connection, rows)
    if inserted:
        _update_rollups(connection, inserted)
        _update_series(connection, inserted)
    return BatchResult(inserted=len(inserted), duplicates=len(rows) - len(inserted))


def _insert_all_new(connection: Connection, rows: list[ReadingRow]) -> list[ReadingRow] | None:
    """SQLite: multi-row INSERTs inside a savepoint. If every row went in (the usual case)
    they are the inserted rows; if some were duplicates, undo and let RETURNING say which."""
    savepoint = connection.begin_nested()
    inserted = _sqlite_many(connection, _SQLITE_INSERT, rows)
    if inserted == len(rows):
        savepoint.commit()
        return rows
    savepoint.rollback()
    return None


def _insert_unnest(connection: Connection, rows: list[ReadingRow]) -> list[ReadingRow]:
    """PostgreSQL: the whole batch as five arrays in ONE statement (no per-row round trip
    or per-row parameter processing); RETURNING names the rows that were new."""
    site_ids, sensor_ids, metrics, ts, values = (list(column) for column in zip(*rows))
    result = connection.exec_driver_sql(
        _PG_INSERT, {"site_id": site_ids, "sensor_id": sensor_ids, "metric": metrics, "ts_ms": ts, "value": values}
    )
    return [tuple(r) for r in result]


def _insert_returning(connection: Connection, rows: list[ReadingRow]) -> list[ReadingRow]:
    c = readings.c
    stmt = (
        dialect_insert(connection, readings)
        .on_conflict_do_nothing(index_elements=[c.site_id, c.sensor_id, c.metric, c.ts_ms])
        .returning(c.site_id, c.sensor_id, c.metric, c.ts_ms, c.value)
    )
    params = [{"site_id": r[0], "sensor_id": r[1], "metric": r[2], "ts_ms": r[3], "value": r[4]} for r in rows]
    return [tuple(r) for r in connection.execute(stmt, params)]


def _update_rollups(connection: Connection, inserted: Iterable[ReadingRow]) -> None:
    minute: dict[tuple, list] = {}
    for site_id, sensor_id, metric, ts_ms, value in inserted:
        key = (site_id, sensor_id, metric, ts_ms - ts_ms % 60_000)
        agg = minute.get(key)
        if agg is None:
            minute[key] = [value, value, value, 1]
        else:
            if value < agg[0]:
                agg[0] = value
            if value > agg[1]:
                agg[1] = value
            agg[2] += value
            agg[3] += 1
    sqlite_path = connection.dialect.name == "sqlite"
    aggs = minute
    for name, (table, width_ms) in ROLLUP_TABLES.items():
        if name != "minute":
            aggs = _coarsen(aggs, width_ms)  # each rollup from the one before: 10 min from minutes, hours from those
        sql = sqlite_path and _sqlite_sql(connection, f"rollup_{name}", lambda: _rollup_upsert(connection, table), _ROLLUP_COLUMNS)
        if sql:
            _sqlite_many(connection, sql, [k + tuple(a) for k, a in sorted(aggs.items())])
            continue
        params = [
            {"site_id": k[0], "sensor_id": k[1], "metric": k[2], "bucket_ms": k[3], "min": a[0], "max": a[1], "sum": a[2], "count": a[3]}
            for k, a in sorted(aggs.items())
        ]
        connection.execute(_rollup_upsert(connection, table), params)


def _coarsen(aggs: dict[tuple, list], width_ms: int) -> dict[tuple, list]:
    """[min, max, sum, count] per (site, sensor, metric, bucket start) regrouped into wider buckets."""
    wider: dict[tuple, list] = {}
    for (site_id, sensor_id, metric, bucket), (lo, hi, total, count) in aggs.items():
        key = (site_id, sensor_id, metric, bucket - bucket % width_ms)
        agg = wider.get(key)
        if agg is None:
            wider[key] = [lo, hi, total, count]
        else:
            agg[0] = min(agg[0], lo)
            agg[1] = max(agg[1], hi)
            agg[2] += total
            agg[3] += count
    return wider


def _rollup_upsert(connection: Connection, table: Table):
    least, greatest = _least(connection)
    stmt = dialect_insert(connection, table)
    x, c = stmt.excluded, table.c
    return stmt.on_conflict_do_update(
        index_elements=[c.site_id, c.sensor_id, c.metric, c.bucket_ms],
        set_={
            "min": least(c.min, x.min),
            "max": greatest(c.max, x.max),
            "sum": c.sum + x.sum,
            "count": c.count + x.count,
        },
    )


def _update_series(connection: Connection, inserted: Iterable[ReadingRow]) -> None:
    latest: dict[tuple, list] = {}  # (site, sensor, metric) -> [first_ms, last_ms, last_value]
    for site_id, sensor_id, metric, ts_ms, value in inserted:
        entry = latest.get((site_id, sensor_id, metric))
        if entry is None:
            latest[(site_id, sensor_id, metric)] = [ts_ms, ts_ms, value]
        else:
            if ts_ms < entry[0]:
                entry[0] = ts_ms
            if ts_ms >= entry[1]:
                entry[1] = ts_ms
                entry[2] = value
    if connection.dialect.name == "sqlite":
        sql = _sqlite_sql(connection, "series", lambda: _series_upsert(connection), _SERIES_COLUMNS)
        if sql:
            _sqlite_many(connection, sql, [k + tuple(e) for k, e in sorted(latest.items())])
            return
    params = [
        {"site_id": k[0], "sensor_id": k[1], "metric": k[2], "first_ms": e[0], "last_ms": e[1], "last_value": e[2]}
        for k, e in sorted(latest.items())
    ]
    connection.execute(_series_upsert(connection), params)


def _series_upsert(connection: Connection):
    least, greatest = _least(connection)
    stmt = dialect_insert(connection, series)
    x, c = stmt.excluded, series.c
    return stmt.on_conflict_do_update(
        index_elements=[c.site_id, c.sensor_id, c.metric],
        set_={
            "first_ms": least(c.first_ms, x.first_ms),
            "last_ms": greatest(c.last_ms, x.last_ms),
            "last_value": case((x.last_ms >= c.last_ms, x.last_value), else_=c.last_value),
        },
    )


def write_device_status(connection: Connection, site_id: str, device_id: str, online: bool, ts_ms: int) -> bool:
    """Upsert the device's current status; add a history row when it changed (or is new).
    An older message than the one already stored changes nothing. Returns True if a history
    row was written."""
    c = devices.c
    current = connection.execute(
        select(c.online, c.updated_at).where(c.site_id == site_id, c.device_id == device_id)
    ).first()
    if current is not None and ts_ms < to_ms(current.updated_at):
        return False
    changed = current is None or bool(current.online) != online
    stmt = dialect_insert(connection, devices)
    x = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=[c.site_id, c.device_id],
        set_={
            "online": x.online,
            "changed_at": case((c.online != x.online, x.changed_at), else_=c.changed_at),
            "updated_at": x.updated_at,
        },
        where=x.updated_at >= c.updated_at,
    )
    connection.execute(
        stmt, {"site_id": site_id, "device_id": device_id, "online": online, "changed_at": ts_ms, "updated_at": ts_ms}
    )
    if changed:
        connection.execute(
            device_status_history.insert(),
            {"site_id": site_id, "device_id": device_id, "ts": ts_ms, "online": online},
        )
    return changed
