"""Read API for graphs, tables and exports. Blocking database reads: call from a worker
thread, never from the GUI thread.

Graphs ask for a time window and get a bounded number of points: ``read_series`` with
``resolution="auto"`` reads raw rows for short spans and the minute, ten-minute or hour
rollups for longer ones, so every window is at most a few thousand points with their min/max
envelope (30 days: ~720 hourly buckets instead of millions of raw rows). All times in and out
are UTC (aware datetimes, or epoch seconds in the numpy arrays); converting to the site's
zone is the view's job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterator, Literal, Sequence

import numpy as np
from sqlalchemy import select
from sqlalchemy.engine import Engine

from controlroom.domain import DeviceStatus, Reading
from controlroom.storage.models import (
    ROLLUP_TABLES,
    device_status_history,
    devices,
    from_ms,
    readings,
    series,
    to_ms,
)

Resolution = Literal["auto", "raw", "minute", "10min", "hour"]

# The longest span each resolution serves; beyond the last: hours (30 days = 720 buckets).
# Ten-minute buckets keep multi-day zooms to ~1,000 points: minute buckets there cost about
# 6 ms of reading per series (3 days: 4,320 rows) for no more than the screen can show.
MAX_SPAN = {
    "raw": timedelta(hours=2),  # every reading (<= 7,200 at 1 Hz)
    "minute": timedelta(days=1),  # <= 1,440 buckets
    "10min": timedelta(days=7),  # <= 1,008 buckets
}

BUCKET_S = {"raw": 0.0, "minute": 60.0, "10min": 600.0, "hour": 3600.0}
RESOLUTIONS = ("raw", "minute", "10min", "hour")  # finest first


@dataclass(frozen=True)
class Series:
    """One metric of one sensor over a window, ready for plotting.

    ``ts`` is epoch seconds (float64, UTC): the reading time for raw data, the bucket START
    for rollups (add ``bucket_s / 2`` to centre). ``value`` is the reading or the bucket
    average; ``min``/``max`` the bucket envelope (equal to value for raw data). ``newest_ts``:
    when a reading was last taken, for freshness: raw data, the window's newest; rollups (a
    bucket says only its hour), the metric's newest stored reading. None if there is none."""

    sensor_id: str
    metric: str
    resolution: str  # "raw" | "minute" | "hour" (what was actually read)
    ts: np.ndarray
    value: np.ndarray
    min: np.ndarray
    max: np.ndarray
    count: np.ndarray
    newest_ts: float | None = None

    @property
    def bucket_s(self) -> float:
        return BUCKET_S[self.resolution]

    def __len__(self) -> int:
        return len(self.ts)


def resolution_for_span(seconds: float) -> str:
    """The finest resolution that keeps a window of this many seconds to a bounded point count."""
    return next((resolution for resolution, longest in MAX_SPAN.items() if seconds <= longest.total_seconds()), "hour")


def _as_ms(value: datetime | float | int) -> int:
    if isinstance(value, datetime):
        return to_ms(value)
    return int(round(float(value) * 1000))  # epoch seconds


def read_series(
    engine: Engine,
    site_id: str,
    sensor_id: str,
    metric: str,
    start: datetime | float,
    end: datetime | float,
    resolution: Resolution = "auto",
) -> Series:
    """Points of sensor/<sensor_id>/<metric> with time in [start, end] (datetimes or epoch
    seconds). Rollup buckets overlapping the window are included whole. "auto" picks by
    span (see MAX_SPAN) and, when that finds nothing because the window is past retention,
    the next coarser resolution that has data."""
    if resolution == "auto":
        # Old short windows may be past raw (or minute) retention: fall back to coarser data.
        chosen = resolution_for_span((_as_ms(end) - _as_ms(start)) / 1000.0)
        for candidate in RESOLUTIONS[RESOLUTIONS.index(chosen) :]:
            result = read_series(engine, site_id, sensor_id, metric, start, end, candidate)
            if len(result):
                break
        return result
    start_ms, end_ms = _as_ms(start), _as_ms(end)
    if resolution == "raw":
        c = readings.c
        query = (
            select(c.ts_ms, c.value)
            .where(c.site_id == site_id, c.sensor_id == sensor_id, c.metric == metric, c.ts_ms >= start_ms, c.ts_ms <= end_ms)
            .order_by(c.ts_ms)
        )
        with engine.connect() as connection:
            data = _array(connection.execute(query).all(), 2)
        ts, value = data[:, 0] / 1000.0, data[:, 1].copy()
        return Series(sensor_id, metric, "raw", ts, value, value, value, np.ones(len(ts), dtype=np.int64),
                      float(ts[-1]) if len(ts) else None)
    if resolution not in ROLLUP_TABLES:
        raise ValueError(f"unknown resolution {resolution!r}")
    table, width_ms = ROLLUP_TABLES[resolution]
    c = table.c
    query = (
        select(c.bucket_ms, c.min, c.max, c.sum, c.count)
        .where(
            c.site_id == site_id,
            c.sensor_id == sensor_id,
            c.metric == metric,
            c.bucket_ms >= start_ms - start_ms % width_ms,
            c.bucket_ms <= end_ms,
        )
        .order_by(c.bucket_ms)
    )
    s = series.c
    newest_query = select(s.last_ms).where(s.site_id == site_id, s.sensor_id == sensor_id, s.metric == metric)
    with engine.connect() as connection:
        data = _array(connection.execute(query).all(), 5)
        newest_ms = connection.execute(newest_query).scalar()  # one row per metric: cheap
    count = data[:, 4].astype(np.int64)
    avg = data[:, 3] / np.maximum(data[:, 4], 1)
    return Series(sensor_id, metric, resolution, data[:, 0] / 1000.0, avg, data[:, 1].copy(), data[:, 2].copy(), count,
                  newest_ms / 1000.0 if newest_ms is not None else None)


def _array(rows: Sequence, columns: int) -> np.ndarray:
    if not rows:
        return np.empty((0, columns), dtype=np.float64)
    # Rows as plain tuples first: numpy treats a SQLAlchemy Row as a generic sequence, ~30x slower
    # (5,760 rows: 100 ms vs 3 ms).
    return np.array(list(map(tuple, rows)), dtype=np.float64).reshape(len(rows), columns)


def latest_readings(engine: Engine, site_id: str) -> list[Reading]:
    """The newest stored value of every sensor metric of the site (from the series table,
    one row per metric, so this stays cheap however much history there is)."""
    c = series.c
    query = select(c.sensor_id, c.metric, c.last_ms, c.last_value).where(c.site_id == site_id).order_by(c.sensor_id, c.metric)
    with engine.connect() as connection:
        return [Reading(r.sensor_id, r.metric, from_ms(r.last_ms), r.last_value) for r in connection.execute(query)]


def device_states(engine: Engine, site_id: str) -> list[DeviceStatus]:
    """Current status of every known device; `ts` is when it last changed."""
    c = devices.c
    query = select(c.device_id, c.online, c.changed_at).where(c.site_id == site_id).order_by(c.device_id)
    with engine.connect() as connection:
        return [DeviceStatus(r.device_id, bool(r.online), r.changed_at) for r in connection.execute(query)]


def device_history(
    engine: Engine,
    site_id: str,
    device_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 1000,
) -> list[DeviceStatus]:
    """Status changes (online/offline transitions), oldest first; the newest `limit` of them."""
    c = device_status_history.c
    query = select(c.device_id, c.online, c.ts).where(c.site_id == site_id)
    if device_id is not None:
        query = query.where(c.device_id == device_id)
    if start is not None:
        query = query.where(c.ts >= start)
    if end is not None:
        query = query.where(c.ts <= end)
    query = query.order_by(c.ts.desc(), c.id.desc()).limit(limit)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [DeviceStatus(r.device_id, bool(r.online), r.ts) for r in reversed(rows)]


_BUCKET_COLUMNS = ("bucket_start_utc", "sensor_id", "metric", "min", "max", "avg", "count")
EXPORT_COLUMNS = {"raw": ("time_utc", "sensor_id", "metric", "value"), "minute": _BUCKET_COLUMNS,
                  "10min": _BUCKET_COLUMNS, "hour": _BUCKET_COLUMNS}


def export_rows(
    engine: Engine,
    site_id: str,
    start: datetime,
    end: datetime,
    sensor_ids: Sequence[str] | None = None,
    metrics: Sequence[str] | None = None,
    resolution: Literal["raw", "minute", "10min", "hour"] = "raw",
) -> Iterator[tuple]:
    """Rows for CSV export, streamed (constant memory), ordered by sensor, metric, time.
    Columns are ``EXPORT_COLUMNS[resolution]``; times are aware UTC datetimes. Consume the
    iterator fully or close() it: it holds a database connection while open."""
    start_ms, end_ms = _as_ms(start), _as_ms(end)
    if resolution == "raw":
        c = readings.c
        time_col, columns = c.ts_ms, (c.ts_ms, c.sensor_id, c.metric, c.value)
    else:
        table = ROLLUP_TABLES[resolution][0]
        c = table.c
        time_col, columns = c.bucket_ms, (c.bucket_ms, c.sensor_id, c.metric, c.min, c.max, c.sum, c.count)
    query = select(*columns).where(c.site_id == site_id, time_col >= start_ms, time_col <= end_ms)
    if sensor_ids is not None:
        query = query.where(c.sensor_id.in_(list(sensor_ids)))
    if metrics is not None:
        query = query.where(c.metric.in_(list(metrics)))
    query = query.order_by(c.sensor_id, c.metric, time_col)
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=2000).execute(query)
        for row in result:
            if resolution == "raw":
                yield (from_ms(row[0]), row[1], row[2], row[3])
            else:
                yield (from_ms(row[0]), row[1], row[2], row[3], row[4], row[5] / row[6] if row[6] else None, row[6])
