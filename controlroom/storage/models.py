"""The database schema as SQLAlchemy Core tables (no ORM: the hot path inserts plain dicts).

Every row carries ``site_id`` so several communes can share one PostgreSQL (the province's).

Time is stored as integer **epoch milliseconds UTC** (BIGINT) on both backends, because:
- it sorts and compares correctly everywhere (SQLite's DateTime is text whose order breaks
  as soon as one writer adds an offset or microseconds and another does not);
- it is the fastest to bind, index and aggregate (8-byte integer keys, no string parsing),
  and bucketing for rollups is integer arithmetic (``ts_ms // 60000 * 60000``);
- there is no time-zone ambiguity: local time (Asia/Ho_Chi_Minh) is only a display concern.
High-rate numeric tables (readings, rollups, series) expose the raw integer in columns named
``*_ms``. Low-rate tables (alerts, audit, ...) use ``UtcTimestamp``, which is the same BIGINT
in the database but takes and returns timezone-aware UTC datetimes in Python.

Readings and rollups are keyed by (site_id, sensor_id, metric, time) as their PRIMARY KEY,
which on SQLite is a clustered WITHOUT ROWID table: one b-tree instead of table + unique
index, redelivered duplicates are rejected by the key, and a series' time range is one
contiguous range scan. Retention works per series through the same key.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

UTC = timezone.utc
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)

Json = JSON().with_variant(JSONB(), "postgresql")


def to_ms(ts: datetime) -> int:
    """Aware datetime -> epoch milliseconds (naive datetimes are taken as UTC)."""
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return (ts - _EPOCH) // _MS


def from_ms(ms: int) -> datetime:
    """Epoch milliseconds -> aware UTC datetime."""
    return _EPOCH + ms * _MS



class UtcTimestamp(TypeDecorator):
    """An aware UTC datetime stored as BIGINT epoch milliseconds (see module doc).

    Accepts aware datetimes (naive ones are refused: they are a bug) or integer ms."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None or isinstance(value, int):
            return value
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError("naive datetime given for a UTC timestamp column")
            return to_ms(value)
        raise TypeError(f"UtcTimestamp takes a datetime or epoch ms, not {type(value).__name__}")

    def process_result_value(self, value, dialect):
        return None if value is None else from_ms(value)


def _site() -> Column:
    return Column("site_id", String(64), nullable=False)


# --- sensor data -------------------------------------------------------------------------

readings = Table(
    "readings",
    metadata,
    _site(),
    Column("sensor_id", String(64), nullable=False),
    Column("metric", String(64), nullable=False),
    Column("ts_ms", BigInteger, nullable=False),
    Column("value", Float, nullable=False),
    PrimaryKeyConstraint("site_id", "sensor_id", "metric", "ts_ms"),
    sqlite_with_rowid=False,
)


def _rollup(name: str) -> Table:
    return Table(
        name,
        metadata,
        _site(),
        Column("sensor_id", String(64), nullable=False),
        Column("metric", String(64), nullable=False),
        Column("bucket_ms", BigInteger, nullable=False),  # bucket start, epoch ms UTC
        Column("min", Float, nullable=False),
        Column("max", Float, nullable=False),
        Column("sum", Float, nullable=False),  # avg = sum / count
        Column("count", Integer, nullable=False),
        PrimaryKeyConstraint("site_id", "sensor_id", "metric", "bucket_ms"),
        sqlite_with_rowid=False,
    )


rollup_minute = _rollup("rollup_minute")
rollup_10min = _rollup("rollup_10min")
rollup_hour = _rollup("rollup_hour")

# finest first: each is summed from the one before it
ROLLUP_TABLES = {"minute": (rollup_minute, 60_000), "10min": (rollup_10min, 600_000), "hour": (rollup_hour, 3_600_000)}

series = Table(
    "series",
    metadata,
    _site(),
    Column("sensor_id", String(64), nullable=False),
    Column("metric", String(64), nullable=False),
    Column("first_ms", BigInteger, nullable=False),
    Column("last_ms", BigInteger, nullable=False),
    Column("last_value", Float, nullable=False),
    PrimaryKeyConstraint("site_id", "sensor_id", "metric"),
    comment="one row per sensor metric: its latest value and the series list for retention",
)

# --- devices -----------------------------------------------------------------------------

devices = Table(
    "devices",
    metadata,
    _site(),
    Column("device_id", String(64), nullable=False),
    Column("online", Boolean, nullable=False),
    Column("changed_at", UtcTimestamp, nullable=False),  # when `online` last changed
    Column("updated_at", UtcTimestamp, nullable=False),  # last status message seen
    PrimaryKeyConstraint("site_id", "device_id"),
)

device_status_history = Table(
    "device_status_history",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    _site(),
    Column("device_id", String(64), nullable=False),
    Column("ts", UtcTimestamp, nullable=False),
    Column("online", Boolean, nullable=False),
    Index(None, "site_id", "device_id", "ts"),
)

# --- alerts ------------------------------------------------------------------------------

alerts = Table(
    "alerts",
    metadata,
    _site(),
    Column("id", String(64), nullable=False),
    Column("source", String(128), nullable=False, server_default=""),  # e.g. sensor/wl_bo/level
    Column("rule", String(128), nullable=False, server_default=""),
    Column("severity", Integer, nullable=False, server_default="0"),
    Column("state", String(32), nullable=False),
    Column("title", Text, nullable=False, server_default=""),
    Column("message", Text, nullable=False, server_default=""),
    Column("value", Float),
    Column("raised_at", UtcTimestamp, nullable=False),
    Column("updated_at", UtcTimestamp, nullable=False),
    Column("acknowledged_by", String(64)),
    Column("acknowledged_at", UtcTimestamp),
    Column("cleared_at", UtcTimestamp),
    Column("detail", Json),
    PrimaryKeyConstraint("site_id", "id"),
    Index(None, "site_id", "state", "raised_at"),
)

alert_events = Table(
    "alert_events",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    _site(),
    Column("alert_id", String(64), nullable=False),
    Column("ts", UtcTimestamp, nullable=False),
    Column("from_state", String(32)),
    Column("to_state", String(32), nullable=False),
    Column("actor", String(64), nullable=False),  # operator username or "system"
    Column("comment", Text, nullable=False, server_default=""),
    Column("detail", Json),
    ForeignKeyConstraint(["site_id", "alert_id"], ["alerts.site_id", "alerts.id"], ondelete="CASCADE"),
    Index(None, "site_id", "alert_id", "ts"),
)

# --- loudspeaker broadcasts --------------------------------------------------------------

broadcasts = Table(
    "broadcasts",
    metadata,
    _site(),
    Column("id", String(64), nullable=False),  # the job id sent to speakers
    Column("created_at", UtcTimestamp, nullable=False),
    Column("operator", String(64), nullable=False),
    Column("kind", String(32), nullable=False),  # tts / file / live / stop
    Column("title", Text, nullable=False, server_default=""),
    Column("text", Text),
    Column("source", Text),  # URL the speakers play
    Column("priority", Integer, nullable=False, server_default="0"),
    Column("targets", Json),  # {"villages": [...], "zone": id, "speakers": [...]}
    Column("state", String(32), nullable=False),
    Column("finished_at", UtcTimestamp),
    Column("detail", Json),
    PrimaryKeyConstraint("site_id", "id"),
    Index(None, "site_id", "created_at"),
)

broadcast_deliveries = Table(
    "broadcast_deliveries",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    _site(),
    Column("broadcast_id", String(64), nullable=False),
    Column("speaker_id", String(64), nullable=False),
    Column("result", String(32), nullable=False),  # sent / started / finished / rejected / failed / timeout
    Column("detail", Text),
    Column("sent_at", UtcTimestamp),
    Column("updated_at", UtcTimestamp, nullable=False),
    ForeignKeyConstraint(["site_id", "broadcast_id"], ["broadcasts.site_id", "broadcasts.id"], ondelete="CASCADE"),
    UniqueConstraint("site_id", "broadcast_id", "speaker_id"),
)

# --- operators, audit, snapshots, shift log ----------------------------------------------

operators = Table(
    "operators",
    metadata,
    _site(),
    Column("username", String(64), nullable=False),
    Column("display_name", String(128), nullable=False),
    Column("role", String(32), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("salt", Text, nullable=False, server_default=""),
    Column("params", Json),  # KDF name and parameters, so they can be raised later
    Column("active", Boolean, nullable=False, server_default=true()),
    Column("created_at", UtcTimestamp, nullable=False),
    Column("updated_at", UtcTimestamp, nullable=False),
    PrimaryKeyConstraint("site_id", "username"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    _site(),
    Column("ts", UtcTimestamp, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(128), nullable=False, server_default=""),
    Column("detail", Json),
    Column("prev_hash", String(128), nullable=False, server_default=""),
    Column("hash", String(128), nullable=False, server_default=""),
    Index(None, "site_id", "seq"),
    Index(None, "site_id", "ts"),
)

snapshots = Table(
    "snapshots",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    _site(),
    Column("camera_id", String(64), nullable=False),
    Column("ts", UtcTimestamp, nullable=False),
    Column("path", Text, nullable=False),
    Column("operator", String(64), nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    Index(None, "site_id", "camera_id", "ts"),
)

shift_log = Table(
    "shift_log",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    _site(),
    Column("ts", UtcTimestamp, nullable=False),
    Column("operator", String(64), nullable=False),
    Column("kind", String(32), nullable=False),  # handover / note / incident
    Column("text", Text, nullable=False),
    Column("detail", Json),
    Index(None, "site_id", "ts"),
)

# --- broadcast programme -----------------------------------------------------------------

broadcast_programme = Table(
    "broadcast_programme",
    metadata,
    _site(),
    Column("id", String(64), nullable=False),
    Column("title", Text, nullable=False),
    Column("time", String(5), nullable=False),  # local HH:MM in the site's time zone
    Column("weekdays", Json, nullable=False),  # [0..6], 0 = Monday
    Column("zone", String(64), nullable=False),
    Column("text", Text, nullable=False, server_default=""),
    Column("file", Text),
    Column("priority", String(16), nullable=False, server_default="routine"),
    Column("volume", Integer, nullable=False, server_default="70"),
    Column("updated_at", UtcTimestamp, nullable=False),
    Column("updated_by", String(64), nullable=False),
    PrimaryKeyConstraint("site_id", "id"),
    comment="the daily broadcast programme; seeded from the site config, edited by operators",
)

# --- flood duty: warning bulletins and the quick damage report (báo cáo nhanh) ------------

flood_bulletins = Table(
    "flood_bulletins",
    metadata,
    _site(),
    Column("id", String(64), nullable=False),
    Column("issued_at", UtcTimestamp, nullable=False),
    Column("issued_by", String(64), nullable=False),
    Column("sensor_id", String(64)),
    Column("zone", String(64), nullable=False),
    Column("villages", Json, nullable=False),
    Column("risk_level", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("interval_s", Float, nullable=False),
    Column("state", String(16), nullable=False),  # active / superseded / cancelled
    Column("repeats_done", Integer, nullable=False, server_default="0"),
    Column("next_due_at", UtcTimestamp),
    Column("ended_at", UtcTimestamp),
    Column("ended_by", String(64)),
    Column("superseded_by", String(64)),
    PrimaryKeyConstraint("site_id", "id"),
    comment="flood warning bulletins; repeats are claimed by compare-and-set on repeats_done",
)

damage_events = Table(
    "damage_events",
    metadata,
    _site(),
    Column("id", String(64), nullable=False),
    Column("hazard", Text, nullable=False),
    Column("started_at", UtcTimestamp, nullable=False),
    Column("ended_at", UtcTimestamp),
    Column("detail", Json, nullable=False),  # extent, isolated areas, notes
    Column("created_by", String(64), nullable=False),
    PrimaryKeyConstraint("site_id", "id"),
)

damage_entries = Table(
    "damage_entries",
    metadata,
    _site(),
    Column("event_id", String(64), nullable=False),
    Column("village", String(64), nullable=False),
    Column("indicator", String(64), nullable=False),
    Column("value", Float, nullable=False),
    Column("updated_at", UtcTimestamp, nullable=False),
    Column("updated_by", String(64), nullable=False),
    PrimaryKeyConstraint("site_id", "event_id", "village", "indicator"),
    comment="cumulative damage figures per village and indicator over one disaster event",
)
