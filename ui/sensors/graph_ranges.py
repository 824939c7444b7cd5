"""What window a sensor graph shows and where its data comes from: the range presets, the
fitting of a preset to data that fills only its end, the graph's clock and the storage reader.
Plain functions, no widgets: the graph page (``graph_view``) and its panels use them."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Callable

from controlroom.i18n import tr
from controlroom.storage.queries import read_series

if TYPE_CHECKING:
    from controlroom.widgets.sensor_plot import SensorPlot

RANGES = (("15m", 15 * 60), ("1h", 3600), ("24h", 86400), ("7d", 7 * 86400), ("30d", 30 * 86400))
MIN_FITTED_S = 15 * 60  # a preset fitted to fresh data shows at least this much

# reader(sensor_id, metric, start_s, end_s, resolution) -> storage.queries.Series; runs in a worker
Reader = Callable[[str, str, float, float, str], object]


def range_label(key: str) -> str:
    return {"15m": tr("15 min"), "1h": tr("1 h"), "24h": tr("24 h"), "7d": tr("7 days"), "30d": tr("30 days")}[key]


def engine_reader(engine, site_id: str) -> Reader:
    def read(sensor_id: str, metric: str, start: float, end: float, resolution: str):
        return read_series(engine, site_id, sensor_id, metric, start, end, resolution)  # type: ignore[arg-type]

    return read


def resolution_label(resolution: str) -> str:
    return {"raw": tr("raw readings"), "minute": tr("minute min/avg/max"), "10min": tr("10-minute min/avg/max"),
            "hour": tr("hourly min/avg/max")}.get(resolution, resolution)


def data_clock(live) -> Callable[[], float]:
    """'Now' for a graph: the PC's clock, or the newest reading's time when the data runs ahead
    of it (the demo's simulated clock), so a live view opens on the latest data, not cut off
    at its right edge."""
    def now() -> float:
        newest = live.newest_reading_time()
        return max(time.time(), newest.timestamp()) if newest is not None else time.time()

    return now


def fitted_start(start: float, end: float, plots: list[SensorPlot], result: list) -> float | None:
    """Where a preset's view should start when its data covers only the last part of it (a
    room that started minutes ago): just before the first reading, at least MIN_FITTED_S wide.
    None when the data fills most of the window or there is none. Hourly rain buckets start
    before their first reading, so the other series decide when there are any."""
    firsts = [float(series.ts.min()) for plot, series in zip(plots, result) if len(series.ts) and plot.spec.kind != "rain"]
    firsts = firsts or [float(series.ts.min()) for series in result if len(series.ts)]
    if not firsts:
        return None
    first = min(firsts)
    fitted = min(first - 0.05 * (end - first), end - MIN_FITTED_S)
    return fitted if fitted > start + 0.25 * (end - start) else None
