"""The full graph of a sensor: one SensorPlot per metric, x-linked, with range presets.

Presets 15 min / 1 h / 24 h / 7 d / 30 d (fitted to the data while it fills only the preset's
end, widening with time); the operator may zoom and pan freely (mouse wheel,
drag). Every range change loads data in a worker through ``reader`` (storage's
``read_series``: raw rows for short spans, minute, ten-minute or hour rollups with min/max
for long ones);
the GUI thread only sets arrays on curves. A generation counter drops answers to ranges the
operator already left. Live readings from the bridge are appended to the plots without a
query, and a live view scrolls with the clock. Export writes the visible range as CSV
(UTF-8 with BOM) or the plots as PNG, in a worker.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
from PyQt6 import sip
from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from controlroom.config import Config
from controlroom.domain import Reading
from controlroom.i18n import tr
from controlroom.reports.series_csv import write_csv
from controlroom.storage.queries import BUCKET_S, resolution_for_span
from controlroom.widgets.flow_layout import FlowLayout
from controlroom.widgets.plot_spec import PlotSpec
from controlroom.widgets.sensor_plot import SensorPlot
from controlroom.ui.sensors.graph_ranges import RANGES, Reader, fitted_start, range_label, resolution_label
from controlroom.ui.reports.export_paths import suggested_export_path

log = logging.getLogger(__name__)

FLOOD_PICTURE = "__flood__"
PRESENTATION_TEXT = 1.8  # plot text on a wall display, relative to the desk's

GAP_RELOAD_S = 5.0  # during a backlog flush the graph re-reads storage at most this often
BindSeries = Callable[[str, Callable[[list[Reading], bool], None]], Callable[[], None]]
Runner = Callable[[Callable[[], object], Callable[[object], None], Callable[[Exception], None]], None]


@dataclass
class LoadTiming:
    """How long the last range change took, for the status line and the benchmark."""

    generation: int
    started: float
    rows: int = 0
    finished: float | None = None

    @property
    def ms(self) -> float | None:
        return None if self.finished is None else (self.finished - self.started) * 1000.0


class GraphView(QWidget):
    loaded = pyqtSignal(int)  # generation whose data is now on screen
    message = pyqtSignal(str)

    def __init__(self, config: Config, reader: Reader, run: Runner, parent: QWidget | None = None,
                 *, now_fn: Callable[[], float] = time.time, force_resolution: str | None = None,
                 ui_scale: float = 1.0, bind_series: BindSeries | None = None) -> None:
        """`bind_series(address, callback)` (the bridge's) feeds the shown plots live points."""
        super().__init__(parent)
        self._bind_series = bind_series
        self._unbind_live: list[Callable[[], None]] = []
        self._gap_reloaded = -GAP_RELOAD_S
        self.ui_scale = ui_scale
        self.config = config
        self.tz = config.site.tz
        self._reader = reader
        self._run = run
        self._now = now_fn
        self.force_resolution = force_resolution  # "raw" for the benchmark's baseline
        self.plots: list[SensorPlot] = []
        self._hidden_read: tuple | None = None
        self._pending_range: tuple | None = None  # (generation, start, end, follow) shown when its data arrives
        self.generation = 0
        self.timing: LoadTiming | None = None
        self.range_key = "24h"
        self._fit_generation: int | None = None  # the preset's load that may be fitted to its data
        self._grow_to: float | None = None  # the preset's span a fitted view widens to

        self.sensor_box = QComboBox()
        self.sensor_box.addItem(tr("Flood picture: all water levels and rain"), FLOOD_PICTURE)
        for sensor in config.sensors:
            self.sensor_box.addItem(sensor.name, sensor.id)
        self.sensor_box.currentIndexChanged.connect(self._sensor_chosen)
        self.sensor_box.setMinimumContentsLength(24)
        self.sensor_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.presenting = False  # on a wall display (set_presenting)
        self.banner = None  # the flood risk banner above the plots, if the panel placed one (RiskBanner)
        bar = self._bar = FlowLayout()  # wraps in a narrow dock: never wider than the dock, which would hide the newest data
        bar.addWidget(self.sensor_box)
        self.range_buttons: dict[str, QPushButton] = {}
        for key, _span in RANGES:
            button = QPushButton(range_label(key))
            button.setCheckable(True)
            button.clicked.connect(lambda _c=False, k=key: self.set_range(k))
            self.range_buttons[key] = button
            bar.addWidget(button)
        self.live_button = QPushButton(tr("Live"))
        self.live_button.clicked.connect(lambda: self.set_range(self.range_key))
        self.csv_button = QPushButton(tr("Export CSV"))
        self.csv_button.clicked.connect(self._ask_csv)
        self.png_button = QPushButton(tr("Export PNG"))
        self.png_button.clicked.connect(self._ask_png)
        for b in (self.live_button, self.csv_button, self.png_button):
            bar.addWidget(b)
        self.status_label = QLabel()
        self.message.connect(self.status_label.setText)

        self._plots_host = QWidget()
        self._plots_layout = QVBoxLayout(self._plots_host)
        self._plots_layout.setContentsMargins(0, 0, 0, 0)
        scroll = self._scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._plots_host)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.status_label)

        self._scroll_timer = QTimer(self, interval=1000)
        self._scroll_timer.timeout.connect(self._scroll_live)
        self._scroll_timer.start()

    def set_presenting(self, presenting: bool) -> None:
        """A wall display: no toolbar or point count, and the plots' text (time axis, values,
        alarm bands) larger, for viewers metres away."""
        self.presenting = presenting
        for widget in [self._bar.itemAt(i).widget() for i in range(self._bar.count())] + [self.status_label]:
            if widget is not None:
                widget.setVisible(not presenting)
        # every plot on the screen, sharing its height: a wall display has no one to scroll it
        self._scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff if presenting
                                                else Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        for plot in self.plots:
            plot.set_text_scale(self._text_scale())
            plot.setMinimumHeight(self._plot_min_height(len(self.plots)))
        if self.banner is not None:
            self.banner.set_scale(self._text_scale())

    def _plot_min_height(self, count: int) -> int:
        if self.presenting:
            return 0
        return round((220 if count > 1 else 400) * self.ui_scale)

    def _text_scale(self) -> float:
        return self.ui_scale * (PRESENTATION_TEXT if self.presenting else 1.0)

    # --- what is shown --------------------------------------------------------------------
    def show_sensor(self, sensor_id: str, metric: str | None = None) -> None:
        """All metrics of one sensor (the clicked metric first)."""
        if sensor_id == FLOOD_PICTURE:
            self.show_flood_picture()
            return
        sensor = self.config.sensor(sensor_id)
        if sensor is None:
            self.message.emit(tr("Unknown sensor {id}", id=sensor_id))
            return
        metrics = list(sensor.metrics)
        if metric in metrics:
            metrics.remove(metric)
            metrics.insert(0, metric)
        self._select(sensor_id)
        self.set_specs([PlotSpec.from_config(sensor, m) for m in metrics])

    def show_flood_picture(self) -> None:
        """Every river station against its alarm levels, then the rain gauges (one keystroke)."""
        self._select(FLOOD_PICTURE)
        specs = [PlotSpec.from_config(s, m) for s in self.config.sensors if s.kind in ("water_level", "rain")
                 for m in s.metrics]
        self.set_specs(specs)

    def _select(self, data: str) -> None:
        index = self.sensor_box.findData(data)
        if index >= 0 and index != self.sensor_box.currentIndex():
            self.sensor_box.blockSignals(True)
            self.sensor_box.setCurrentIndex(index)
            self.sensor_box.blockSignals(False)

    def set_specs(self, specs: list[PlotSpec]) -> None:
        for plot in self.plots:
            plot.setParent(None)
            plot.deleteLater()
        self.plots = []
        for spec in specs:
            plot = SensorPlot(spec, self.tz, self._plots_host, now_fn=self._now, scale=self._text_scale())
            plot.setMinimumHeight(self._plot_min_height(len(specs)))
            plot.range_requested.connect(self._on_plot_request)
            plot.moved_by_operator.connect(self._stop_following)
            if self.plots:  # one shared time axis; any plot's zoom/pan moves them all
                plot.plot_item.setXLink(self.plots[0].plot_item)
            self._plots_layout.addWidget(plot)
            self.plots.append(plot)
        self._bind_live()
        self.set_range(self.range_key)

    def set_range(self, key: str) -> None:
        """A preset: the last ``key`` up to now, scrolling live."""
        span = dict(RANGES)[key]
        self.range_key = key
        for k, button in self.range_buttons.items():
            button.setChecked(k == key)
        now = self._now()
        self._grow_to = None
        self._fit_generation = self.load(now - span, now, follow=True)

    # --- loading --------------------------------------------------------------------------
    def load(self, start: float, end: float, follow: bool = False, fetch: tuple[float, float] | None = None,
             move: bool = True) -> int:
        """Show [start, end]; read [fetch] (default: the same) in a worker. Returns the generation.

        Plots on screen are read first and drawn as soon as they arrive (``loaded``); the
        ones scrolled out of view follow in a second read, so a range change costs what the
        operator can see, not the number of series."""
        self.generation += 1
        generation = self.generation
        fetch_start, fetch_end = fetch or (start, end)
        resolution = self.force_resolution or resolution_for_span(end - start)
        self.timing = LoadTiming(generation, time.perf_counter())
        # The range moves when the data is there: moving it now would paint every visible plot
        # once more, empty, while the read runs (measured: a third of a range change's time).
        # An operator's own zoom or pan has already moved the view: leave it where they keep dragging it.
        self._pending_range = (generation, start, end, follow) if move else None
        if not move:
            for plot in self.plots:
                plot.follow_live = follow
        visible = [p for p in self.plots if not p.visibleRegion().isEmpty()] or self.plots[:4]
        hidden = [p for p in self.plots if p not in visible]
        self.message.emit(tr("Loading…"))
        self._hidden_read = (generation, hidden, fetch_start, fetch_end, resolution) if hidden else None
        self._read(generation, visible, fetch_start, fetch_end, resolution, first=True)
        return generation

    def _read(self, generation: int, plots: list[SensorPlot], start: float, end: float, resolution: str,
              first: bool) -> None:
        specs = [p.spec for p in plots]
        reader = self._reader

        def work() -> list:  # rain is summed per hour whatever the span
            result = []
            for s in specs:
                if generation != self.generation:
                    return []  # superseded: stop reading, a newer load is on its way
                result.append(reader(s.sensor_id, s.metric, start, end, "hour" if s.kind == "rain" else resolution))
            return result

        self._run(work, lambda result: self._apply(generation, plots, start, end, result, first), self._failed)

    def _sensor_chosen(self, index: int) -> None:
        if index >= 0 and not sip.isdeleted(self.sensor_box):  # -1 while the box is torn down
            self.show_sensor(self.sensor_box.itemData(index))

    def _apply(self, generation: int, plots: list[SensorPlot], start: float, end: float, result: object,
               first: bool = True) -> None:
        if sip.isdeleted(self) or any(sip.isdeleted(p) for p in plots):
            return  # the view closed while storage was read: nothing to draw into
        if generation != self.generation or not isinstance(result, list) or len(result) != len(plots):
            return  # the operator moved on; a newer load is coming
        if any(p not in self.plots for p in plots):
            return  # the sensor changed meanwhile
        if first and generation == self._fit_generation:
            self._fit_generation = None
            fitted = fitted_start(start, end, plots, result)
            if fitted is not None:  # fresh data: a preset's window would show it as a sliver at the right edge
                self._grow_to = end - start
                self.load(fitted, end, follow=True)  # read again at the resolution for what is there
                return
        if first:
            self._show_pending_range()
        rows = 0
        for plot, series in zip(plots, result):
            half = BUCKET_S.get(series.resolution, 0.0) / 2.0
            # a min/max band only where a bucket holds more than one reading (else it is the line itself)
            envelope = series.resolution != "raw" and plot.spec.kind != "rain" and bool((series.count > 1).any())
            value = series.value * series.count if plot.spec.kind == "rain" else series.value
            plot.set_series(series.ts + half, value, series.min if envelope else None,
                            series.max if envelope else None, start=start, end=end, resolution=series.resolution,
                            newest=series.newest_ts)
            rows += len(series.ts)
        if not first:
            return
        pending, self._hidden_read = self._hidden_read, None
        if pending is not None and pending[0] == generation:  # then the plots out of view
            self._read(*pending, first=False)
        if self.timing is not None and self.timing.generation == generation:
            self.timing.rows = rows
            self.timing.finished = time.perf_counter()
        resolution = next((s.resolution for p, s in zip(plots, result) if p.spec.kind != "rain"), "hour")
        self.message.emit(tr("{rows} points ({resolution})", rows=rows, resolution=resolution_label(resolution)))
        self.loaded.emit(generation)

    def _show_pending_range(self) -> None:
        pending, self._pending_range = self._pending_range, None
        if pending is not None and pending[0] == self.generation:
            _, start, end, follow = pending
            for plot in self.plots[1:]:
                plot.follow_live = follow
            if self.plots:  # the others are x-linked to the first: setting each would move every plot n times
                self.plots[0].grow_to = self._grow_to if follow else None
                self.plots[0].show_range(start, end, follow)

    def _failed(self, exc: Exception) -> None:
        self._show_pending_range()  # the operator asked for this range: show it, even without data
        self.message.emit(tr("Could not read the history: {reason}", reason=str(exc)))

    def _on_plot_request(self, x0: float, x1: float) -> None:
        """The operator zoomed or panned past what is loaded: read the view plus a margin."""
        span = x1 - x0
        for button in self.range_buttons.values():
            button.setChecked(False)
        self.load(x0, x1, follow=False, fetch=(x0 - span / 2, min(x1 + span / 2, self._now() + 60)), move=False)

    # --- live -----------------------------------------------------------------------------
    def _bind_live(self) -> None:
        """Live points for exactly the series on screen (the bridge keeps none for the rest)."""
        for unbind in self._unbind_live:
            unbind()
        self._unbind_live = []
        if self._bind_series is not None:
            self._unbind_live = [self._bind_series(p.spec.address, self._appender(p)) for p in self.plots]

    def _appender(self, plot: SensorPlot) -> Callable[[list[Reading], bool], None]:
        def append(points: list[Reading], gap: bool) -> None:
            if gap and plot.follow_live:  # a backlog flush: read that stretch from storage, not point by point
                now = time.monotonic()
                if now - self._gap_reloaded > GAP_RELOAD_S:
                    self._gap_reloaded = now
                    self.set_range(self.range_key)
                return
            plot.append(np.array([r.ts.timestamp() for r in points]), np.array([r.value for r in points]))
        return append

    def apply_readings(self, batch: list[Reading]) -> None:
        """Append readings to the plots showing their series (GUI thread; no query)."""
        wanted = {p.spec.address: p for p in self.plots}
        grouped: dict[str, list[Reading]] = {}
        for r in batch:
            if r.address in wanted:
                grouped.setdefault(r.address, []).append(r)
        for address, points in grouped.items():
            self._appender(wanted[address])(points, False)

    def _stop_following(self) -> None:
        """One plot zoomed or panned by hand: the others share its time axis, so none follows now
        (the first, which drives the shared axis, would slide them all back)."""
        for plot in self.plots:
            plot.follow_live = False

    def _scroll_live(self) -> None:
        if self.plots and self.plots[0].follow_live:
            self.plots[0].scroll_to_now()
            for plot in self.plots[1:]:  # x-linked: the first's slide moved them; each trims its own points
                plot.forget_scrolled_out()

    # --- export ---------------------------------------------------------------------------
    def export_csv(self, path: str, done: Callable[[object], None] | None = None) -> None:
        """Write the visible range of every plot to ``path`` (worker thread)."""
        if not self.plots:
            return
        start, end = self.plots[0].visible_range()
        series = [p.export_series() for p in self.plots]
        tz = self.tz

        def finished(rows: object) -> None:
            self.message.emit(tr("Saved {rows} rows to {path}", rows=rows, path=path))
            if done is not None:
                done(rows)

        self._run(lambda: write_csv(path, series, tz, start, end), finished, self._export_failed)

    def export_png(self, path: str, done: Callable[[object], None] | None = None) -> None:
        image = self._plots_host.grab().toImage()  # GUI thread; encoding and writing go to the worker

        def save() -> str:
            if not image.save(path, "PNG"):
                raise OSError(tr("cannot write {path}", path=path))
            return path

        def finished(result: object) -> None:
            self.message.emit(tr("Saved image {path}", path=path))
            if done is not None:
                done(result)

        self._run(save, finished, self._export_failed)

    def _export_failed(self, exc: Exception) -> None:
        self.message.emit(tr("Export failed: {reason}", reason=str(exc)))

    def _ask_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, tr("Export CSV"), suggested_export_path("bieu-do", ".csv"),
                                              tr("CSV files (*.csv)"))
        if path:
            self.export_csv(path if path.lower().endswith(".csv") else path + ".csv")

    def _ask_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, tr("Export PNG"), suggested_export_path("bieu-do", ".png"),
                                              tr("PNG images (*.png)"))
        if path:
            self.export_png(path if path.lower().endswith(".png") else path + ".png")
