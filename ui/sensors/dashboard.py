"""The sensor dashboard: a grid of tiles for every sensor of the site, flood picture first.

Water levels (with alarm level and trend) and rain (1 h and 24 h) come first, then the
VN_AQI tile of the air station, then each water-quality and air metric. The grid re-flows
to the width it gets (1 column on a narrow dock, many on a 65-inch display). A click on a
tile emits ``open_graph(sensor_id, metric)``.

Live points of the series the tiles show arrive from the Qt bridge each tick (GUI thread)
and only update small bounded windows; a timer re-checks freshness so a silent sensor turns
grey with the time of its last value. History for trends, rain sums and the AQI NowCast is loaded once at start
through ``history`` (a callable run in a worker), never on the GUI thread.
"""

from __future__ import annotations

import math
import time
from datetime import datetime, timezone
from typing import Callable

import numpy as np
from PyQt6.QtCore import QTimer, pyqtSignal
from PyQt6.QtWidgets import QGridLayout, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from controlroom.config import Config, SensorConfig, metric_label
from controlroom.domain import Reading
from controlroom.i18n import format_number, tr
from controlroom.sensors.status import Freshness, Limit, fitted_trend, limit_state, series_status, trend_arrow
from controlroom.sensors.vn_aqi import POLLUTANTS, HourlyAqiTracker
from controlroom.sensors.water_level import (TREND_WINDOW_S, RecentWindow, distance_to_next_level, distance_to_next_limit,
                                             exceeded_level, limits_passed, local_limits)
from controlroom.widgets.aqi_tile import AqiTile
from controlroom.widgets.sensor_tile import SensorTile, TileFrame
from controlroom.widgets.water_level_tile import WaterLevelTile

# history(sensor_id, metric, start_epoch_s, end_epoch_s) -> (ts array, value array); runs in a worker
HistoryFn = Callable[[str, str, float, float], tuple[np.ndarray, np.ndarray]]
Runner = Callable[[Callable[[], object], Callable[[object], None]], None]
METRIC_TREND_S = 1800.0  # a metric tile's arrow: the fitted change over the last 30 minutes


def _limits_source(sensor: SensorConfig) -> str:
    thresholds = next(iter(sensor.metrics.values())).thresholds
    return thresholds.source if thresholds is not None else ""


class _Series:
    """What the dashboard keeps per address: a bounded window of recent values."""

    def __init__(self, sensor: SensorConfig, metric: str, span_s: float, min_points: int = 0) -> None:
        """Room for twice the readings the sensor's interval promises, and at least `min_points`."""
        self.sensor = sensor
        self.metric = metric
        self.window = RecentWindow(span_s, max_points=max(int(span_s / max(sensor.interval_s, 1.0) * 2) + 100, min_points))


class SensorDashboard(QWidget):
    open_graph = pyqtSignal(str, str)  # sensor_id, metric

    def __init__(self, config: Config, parent: QWidget | None = None, *, ui_scale: float = 1.0,
                 now_fn: Callable[[], float] = time.time) -> None:
        super().__init__(parent)
        self.config = config
        self.tz = config.site.tz
        self.ui_scale = ui_scale
        self._now = now_fn
        self.tiles: dict[str, TileFrame] = {}
        self.series: dict[str, _Series] = {}
        self.aqi_trackers: dict[str, HourlyAqiTracker] = {}
        self._order: list[tuple[TileFrame, int, int]] = []  # tile, columns, rows
        self._build()
        self._columns = 0
        self._timer = QTimer(self, interval=5000)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()

    # --- construction ---------------------------------------------------------------------
    def _add_tile(self, tile: TileFrame, span: tuple[int, int], sensor_id: str, metric: str) -> None:
        tile.clicked.connect(lambda _address, s=sensor_id, m=metric: self.open_graph.emit(s, m))
        self.tiles[tile.address] = tile
        self._order.append((tile, *span))

    def _build(self) -> None:
        sensors = self.config.sensors
        for sensor in (s for s in sensors if s.kind == "water_level"):
            metric = next(iter(sensor.metrics))
            address = f"sensor/{sensor.id}/{metric}"
            # a gauge reporting faster than its interval still has its whole trend window (up to 1 a second)
            self.series[address] = _Series(sensor, metric, 2 * 3600, min_points=int(TREND_WINDOW_S) + 100)
            levels = sensor.alarm_levels
            limits = local_limits(sensor)
            tile = WaterLevelTile(address, sensor.name, official=levels is not None and levels.official,
                                  source=levels.source if levels is not None else _limits_source(sensor),
                                  limits=len(limits))
            self._add_tile(tile, (1, 2), sensor.id, metric)
        for sensor in (s for s in sensors if s.kind == "rain"):
            metric = next(iter(sensor.metrics))
            address = f"sensor/{sensor.id}/{metric}"
            self.series[address] = _Series(sensor, metric, 24 * 3600 + 600)
            self._add_tile(SensorTile(address, tr("Rain"), "mm", subtitle=sensor.name), (1, 1), sensor.id, metric)
        for sensor in (s for s in sensors if s.kind == "air_quality"):
            if any(p in sensor.metrics for p in POLLUTANTS):
                self.aqi_trackers[sensor.id] = HourlyAqiTracker()
                metric = "pm25" if "pm25" in sensor.metrics else next(iter(sensor.metrics))
                self._add_tile(AqiTile(f"aqi/{sensor.id}", sensor.name), (2, 2), sensor.id, metric)
        for sensor in (s for s in sensors if s.kind in ("water_quality", "air_quality")):
            for metric, spec in sensor.metrics.items():
                address = f"sensor/{sensor.id}/{metric}"
                self.series[address] = _Series(sensor, metric, 3600)
                tile = SensorTile(address, metric_label(metric, spec), spec.unit, subtitle=sensor.name)
                self._add_tile(tile, (1, 1), sensor.id, metric)

        self._grid_host = QWidget()
        self._grid = QGridLayout(self._grid_host)
        self._grid.setSpacing(8)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._grid_host)
        scroll.setStyleSheet("QScrollArea{background:#0d1117;border:none;}")
        self._grid_host.setStyleSheet("background:#0d1117;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def tile_width(self) -> int:
        return int(230 * self.ui_scale)

    def _reflow(self) -> None:
        columns = max(2, self.width() // self.tile_width())
        if columns == self._columns:
            return
        self._columns = columns
        while self._grid.count():
            self._grid.takeAt(0)
        taken: set[tuple[int, int]] = set()
        cursor = 0  # next free cell, row-major
        for tile, span, rows in self._order:
            span = min(span, columns)
            while True:
                row, col = divmod(cursor, columns)
                cells = {(row + r, col + c) for r in range(rows) for c in range(span)}
                if col + span <= columns and not cells & taken:
                    break
                cursor += 1
            taken |= cells
            self._grid.addWidget(tile, row, col, rows, span)
            while divmod(cursor, columns) in taken:
                cursor += 1
        tile_height = int(self.tile_width() * 0.62)
        for tile, _span, rows in self._order:
            tile.setMinimumHeight(tile_height * rows + 8 * (rows - 1))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._reflow()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._reflow()

    # --- data -----------------------------------------------------------------------------
    def load_history(self, history: HistoryFn, run: Runner) -> None:
        """Fill trends, rain sums and the AQI NowCast with the last hours from storage."""
        now = self._now()
        wanted = [(a, s.sensor.id, s.metric, s.window.span_s) for a, s in self.series.items()]
        for sensor_id in self.aqi_trackers:
            for pollutant in POLLUTANTS:
                address = f"sensor/{sensor_id}/{pollutant}"
                if address not in self.series and pollutant in (self.config.sensor(sensor_id).metrics):
                    wanted.append((address, sensor_id, pollutant, 0.0))

        def work() -> dict:
            out = {}
            for address, sensor_id, metric, span in wanted:
                span = 13 * 3600 if sensor_id in self.aqi_trackers else span
                out[address] = history(sensor_id, metric, now - span, now)
            return out

        def done(result: object) -> None:
            for address, (ts, values) in dict(result).items():  # type: ignore[arg-type]
                _, sensor_id, metric = address.split("/", 2)
                self._ingest(address, sensor_id, metric, np.asarray(ts, float), np.asarray(values, float))
            self.refresh()

        run(work, done)

    def addresses(self) -> list[str]:
        """Every series the tiles draw on: their own, and the AQI station's pollutants."""
        wanted = list(self.series)
        for sensor_id in self.aqi_trackers:
            wanted += [f"sensor/{sensor_id}/{p}" for p in POLLUTANTS if p in self.config.sensor(sensor_id).metrics]
        return list(dict.fromkeys(wanted))

    def apply_readings(self, batch: list[Reading]) -> None:
        """New points (GUI thread): update windows, then the touched tiles once."""
        touched: set[str] = set()
        for r in batch:
            address = r.address
            ts = r.ts.timestamp()
            series = self.series.get(address)
            if series is not None:
                series.window.add(ts, r.value)
                touched.add(address)
            tracker = self.aqi_trackers.get(r.sensor_id)
            if tracker is not None:
                tracker.add(r.metric, ts, r.value)
                touched.add(f"aqi/{r.sensor_id}")
        for address in touched:
            self._update_tile(address)

    def _ingest(self, address: str, sensor_id: str, metric: str, ts: np.ndarray, values: np.ndarray) -> None:
        series = self.series.get(address)
        tracker = self.aqi_trackers.get(sensor_id)
        for t, v in zip(ts.tolist(), values.tolist()):
            if series is not None:
                series.window.add(t, v)
            if tracker is not None:
                tracker.add(metric, t, v)

    def refresh(self) -> None:
        for address in self.tiles:
            self._update_tile(address)

    def _freshness(self, sensor: SensorConfig, last_ts: float | None):
        last = datetime.fromtimestamp(last_ts, timezone.utc) if last_ts is not None else None
        return series_status(last, datetime.fromtimestamp(self._now(), timezone.utc), sensor.live_limit_s)

    def _update_tile(self, address: str) -> None:
        tile = self.tiles[address]
        now = self._now()
        if isinstance(tile, AqiTile):
            sensor_id = address.split("/", 1)[1]
            tracker = self.aqi_trackers[sensor_id]
            tile.show_result(tracker.aqi(now))
            return
        series = self.series[address]
        latest = series.window.latest()
        if latest is None:
            return
        status = self._freshness(series.sensor, latest[0])
        stale_text = ""
        if status.freshness is not Freshness.LIVE:
            stale_text = tr("Stale — last value at {time}", time=status.last_local_hhmm(self.tz))
        if isinstance(tile, WaterLevelTile):
            levels = series.sensor.alarm_levels
            value = latest[1]
            if levels is not None:
                exceeded, next_level = exceeded_level(value, levels), distance_to_next_level(value, levels)
            else:  # a lagoon gauge: the commune's own limits
                limits = local_limits(series.sensor)
                exceeded, next_level = limits_passed(value, limits), distance_to_next_limit(value, limits)
            trend = series.window.trend()  # in data time
            tile.show_level(value, trend and trend[0], exceeded, next_level, stale_text, trend and trend[1])
        elif series.sensor.kind == "rain":
            last_hour = series.window.sum_since(now, 3600)
            day = series.window.sum_since(now, 86400)
            state = "stale" if stale_text else ("warning" if last_hour >= 10 else "ok")
            tile.show_value(format_number(last_hour, 1), tr("in 1 h"), state,
                            stale_text or tr("24 h: {value} mm", value=format_number(day, 1)))
        else:
            self._update_metric_tile(tile, series, latest, stale_text)

    def _update_metric_tile(self, tile: SensorTile, series: _Series, latest: tuple[float, float], stale_text: str) -> None:
        ts, values = series.window.arrays()
        value = latest[1]
        fitted = fitted_trend(ts, values, METRIC_TREND_S, latest[0])
        dead_zone = max(abs(value) * 0.02, 1e-9)  # within 2 % over the window: steady
        arrow = trend_arrow(None if fitted is None else fitted[0] * METRIC_TREND_S, dead_zone)
        metric = series.sensor.metrics[series.metric]
        limit = limit_state(value, metric.thresholds)
        if stale_text:
            state, text = "stale", stale_text
        elif limit.severity == 2:
            state, text = "alarm", self._limit_text(limit)
        elif limit.severity == 1:
            state, text = "warning", self._limit_text(limit)
        else:
            state, text = "ok", tr("Within limits") if metric.thresholds else ""
        decimals = 0 if abs(value) >= 100 else (1 if abs(value) >= 10 else 2)
        tile.show_value(format_number(value, decimals) if math.isfinite(value) else "—", arrow, state, text)

    @staticmethod
    def _limit_text(limit: Limit) -> str:
        return {
            Limit.LOW: tr("Below the lower limit"),
            Limit.LOW_LOW: tr("Far below the lower limit"),
            Limit.HIGH: tr("Above the upper limit"),
            Limit.HIGH_HIGH: tr("Far above the upper limit"),
        }[limit]


def create_dashboard_panel(context, parent: QWidget) -> SensorDashboard:
    """Panel factory: tiles fed with their series' points by the bridge, seeded from storage
    in a worker; a click opens the sensor's graph (a graph window when no graph panel is up)."""
    from controlroom.storage.queries import read_series
    from controlroom.ui.shell.background import run_in_background

    config = context.config
    dashboard = SensorDashboard(config, parent, ui_scale=context.ui_scale)
    engine, site_id = context.core.engine, config.site.id

    def history(sensor_id: str, metric: str, start: float, end: float):
        series = read_series(engine, site_id, sensor_id, metric, start, end, "raw")
        return series.ts, series.value

    dashboard.load_history(history, lambda work, done: run_in_background(work, done))
    for address in dashboard.addresses():
        context.bridge.bind_series(address, lambda points, _gap: dashboard.apply_readings(points))
    windows: list[QWidget] = []

    def open_graph(sensor_id: str, metric: str) -> None:
        if context.navigator.show_sensor(sensor_id, metric):
            return
        from controlroom.ui.sensors.graph_ranges import data_clock, engine_reader
        from controlroom.ui.sensors.graph_view import GraphView

        view = GraphView(config, engine_reader(engine, site_id), run_in_background, None, ui_scale=context.ui_scale,
                         bind_series=context.bridge.bind_series, now_fn=data_clock(context.core.live))
        view.resize(1280, 800)
        view.show_sensor(sensor_id, metric)
        view.show()
        windows[:] = [view]  # one graph window at a time, kept alive here

    dashboard.open_graph.connect(open_graph)
    return dashboard
