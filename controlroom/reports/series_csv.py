"""CSV export of plotted series, readable by Excel with Vietnamese text. Pure, no Qt.

Excel opens a CSV as UTF-8 only when it starts with a byte-order mark, so files are written
as ``utf-8-sig``. Times are written twice: in the site's zone (what the operator saw) and
in UTC ISO 8601 (what is stored). Rollup rows also carry min/max, so an exported range
keeps the envelope a flood peak lives in. Writing a file is disk I/O: call this from a
worker, never from the GUI thread.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from controlroom.i18n import tr


@dataclass(frozen=True)
class ExportSeries:
    """One plotted series: epoch seconds plus values (and min/max for rollups, else None)."""

    sensor_name: str
    metric_label: str
    unit: str
    ts: np.ndarray
    value: np.ndarray
    vmin: np.ndarray | None = None
    vmax: np.ndarray | None = None


def _number(value: float) -> str:
    return "" if value is None or not math.isfinite(value) else repr(float(value))


def write_csv(path: str | Path, series: Sequence[ExportSeries], tz: ZoneInfo,
              start: float | None = None, end: float | None = None) -> int:
    """Write the rows of every series inside [start, end] (epoch s); returns rows written."""
    header = [
        tr("Sensor"), tr("Metric"), tr("Unit"),
        tr("Local time ({zone})", zone=tz.key), tr("Time (UTC)"),
        tr("Value"), tr("Minimum"), tr("Maximum"),
    ]
    rows = 0
    target = Path(path)
    tmp = target.with_name(target.name + ".part")
    with tmp.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for s in series:
            ts = np.asarray(s.ts, dtype=float)
            mask = np.ones(len(ts), dtype=bool)
            if start is not None:
                mask &= ts >= start
            if end is not None:
                mask &= ts <= end
            for i in np.flatnonzero(mask):
                moment = datetime.fromtimestamp(float(ts[i]), timezone.utc)
                writer.writerow([
                    s.sensor_name, s.metric_label, s.unit,
                    moment.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
                    moment.isoformat().replace("+00:00", "Z"),
                    _number(s.value[i]),
                    _number(s.vmin[i]) if s.vmin is not None else "",
                    _number(s.vmax[i]) if s.vmax is not None else "",
                ])
                rows += 1
    tmp.replace(target)  # a half-written file never carries the final name
    return rows
