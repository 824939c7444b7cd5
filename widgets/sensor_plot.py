"""SensorPlot: one scrolling pyqtgraph plot of one sensor metric (``sensor/<id>/<metric>``).

The plot never queries anything. Its owner loads data for the range it asks for
(``range_requested``, debounced, emitted when the operator zooms/pans past what is loaded)
and hands it over with ``set_series``; live readings are appended with ``append`` without
re-querying. Rollup data carries min/max and is drawn as an envelope around the mean, so a
flood peak is never averaged away. Curves use pyqtgraph's peak downsampling and clip to
the view, which keeps 30 days of 1-minute points interactive.

The plot shows its own freshness: with no data for 3 × the sensor's interval it greys the
curve and says "last value at HH:MM". Limits (thresholds) are dashed lines labelled with
their source; water-level plots draw alarm levels I-III as labelled bands.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import QLabel, QVBoxLayout, QWidget

from controlroom.i18n import format_number, tr
from controlroom.sensors.status import Freshness, SeriesStatus, series_status
from controlroom.reports.series_csv import ExportSeries
from controlroom.storage.queries import RESOLUTIONS, resolution_for_span
from controlroom.widgets.plot_axes import GRID_Z, TimeAxis, ValueAxis
from controlroom.widgets.plot_limits import AlarmBands, add_threshold_lines
from controlroom.widgets.plot_spec import PlotSpec

BACKGROUND = "#121820"
CURVE_COLOUR = "#4fc3f7"
ENVELOPE_BRUSH = (79, 195, 247, 70)
STALE_COLOUR = "#9e9e9e"
MAX_LIVE_POINTS = 200_000  # bound on appended points kept per plot


class SensorPlot(QWidget):
    range_requested = pyqtSignal(float, float)  # epoch seconds the view needs data for
    moved_by_operator = pyqtSignal()  # a zoom or pan: plots sharing its time axis stop following too

    def __init__(self, spec: PlotSpec, tz: ZoneInfo, parent: QWidget | None = None,
                 now_fn=time.time, scale: float = 1.0) -> None:
        super().__init__(parent)
        self.spec = spec
        self.scale = scale
        self.tz = tz
        self._now = now_fn
        self.resolution = "raw"
        self.loaded: tuple[float, float] | None = None
        self.follow_live = True
        self.grow_to: float | None = None  # a live view fitted to fresh data widens up to this span (s)
        self.status = SeriesStatus(Freshness.NO_DATA, None)
        self._ts = np.empty(0)
        self._newest_seen: float | None = None  # survives loading an older window
        self._drawn_stale = False  # the curve starts with the live pen
        self._value = np.empty(0)
        self._vmin: np.ndarray | None = None
        self._vmax: np.ndarray | None = None
        self._dirty = False

        offset = datetime.now(timezone.utc).astimezone(tz).utcoffset()
        axes = {"bottom": TimeAxis(orientation="bottom", utcOffset=-int(offset.total_seconds()) if offset else 0,
                                   background=BACKGROUND),
                "left": ValueAxis(orientation="left", background=BACKGROUND)}
        self.plot_widget = pg.PlotWidget(axisItems=axes, background=BACKGROUND)
        self.plot_item = self.plot_widget.getPlotItem()
        self.plot_item.showGrid(x=True, y=True, alpha=0.18)
        for side in ("left", "bottom"):
            # Two tick levels, not three: the finest level's grid lines tripled the paint time of a
            # range change (measured: 20 plots at 1920x1080, ~130 -> ~40 ms) and add little to read.
            self.plot_item.getAxis(side).setStyle(maxTickLevel=1)
            self.plot_item.getAxis(side).setTextPen("#b0bec5")
            self.plot_item.getAxis(side).setZValue(GRID_Z)  # its opaque grid lines go under the data
            # no "×1e3" relabelling: operators read plain values, and the label's HTML was re-laid out
            # on every range change (about 4 ms a change)
            self.plot_item.getAxis(side).enableAutoSIPrefix(False)
        self.plot_item.setMenuEnabled(False)
        self.plot_item.hideButtons()

        self.curve = pg.PlotDataItem(pen=pg.mkPen(CURVE_COLOUR, width=2 * scale))
        self.curve.setDownsampling(auto=True, method="peak")
        self.curve.setClipToView(True)
        if spec.kind == "rain":
            self.curve.setFillLevel(0)
            self.curve.setBrush(pg.mkBrush(79, 195, 247, 90))
        self.min_curve = pg.PlotDataItem(pen=pg.mkPen((79, 195, 247, 110), width=1))
        self.max_curve = pg.PlotDataItem(pen=pg.mkPen((79, 195, 247, 110), width=1))
        for c in (self.min_curve, self.max_curve):
            c.setDownsampling(auto=True, method="peak")
            c.setClipToView(True)
        self.envelope = pg.FillBetweenItem(self.min_curve, self.max_curve, brush=pg.mkBrush(*ENVELOPE_BRUSH))
        self.alarm_bands = AlarmBands(self.plot_item, spec.alarm_levels)
        self.alarm_band_items, self.alarm_band_labels = self.alarm_bands.regions, self.alarm_bands.labels
        self.threshold_lines = add_threshold_lines(self.plot_item, spec.thresholds, spec.unit, spec.kind)
        for item in (self.envelope, self.min_curve, self.max_curve, self.curve):
            self.plot_item.addItem(item)

        self.hover_line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#ffffff", width=1, style=Qt.PenStyle.DotLine))
        self.hover_text = pg.TextItem(color="#ffffff", fill=pg.mkBrush(0, 0, 0, 190), anchor=(0, 1))
        for item in (self.hover_line, self.hover_text):
            item.setVisible(False)
            self.plot_item.addItem(item, ignoreBounds=True)
        self._mouse_proxy = pg.SignalProxy(self.plot_widget.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse_moved)

        self.stale_label = QLabel(self)
        self.stale_label.setObjectName("staleBanner")
        self.stale_label.setVisible(False)
        self.set_text_scale(scale)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.stale_label)
        layout.addWidget(self.plot_widget)

        if spec.kind == "rain":  # rain is never below zero: a dry hour sits on the axis, not mid-plot
            self.plot_item.getViewBox().setLimits(yMin=0)
        # only the operator's own wheel/drag counts; programmatic and layout changes do not
        self.plot_item.getViewBox().sigRangeChangedManually.connect(self._on_manual_change)
        self._request_timer = QTimer(self, singleShot=True, interval=150)
        self._request_timer.timeout.connect(self._emit_request)
        self._redraw_timer = QTimer(self, interval=250)  # live appends redraw at most 4×/s
        self._redraw_timer.timeout.connect(self._redraw_if_dirty)
        self._redraw_timer.start()
        self._status_timer = QTimer(self, interval=5000)
        self._status_timer.timeout.connect(self.refresh_status)
        self._status_timer.start()

    def set_text_scale(self, scale: float) -> None:
        """Size every text of the plot (tick labels, unit, title, band labels, hover, stale
        banner) and the line for `scale`: the screen's UI scale, or more on a wall display."""
        self.scale = scale
        tick_font = QFont()
        tick_font.setPixelSize(round(12 * scale))
        for side in ("left", "bottom"):
            self.plot_item.getAxis(side).setStyle(tickFont=tick_font)
        self.plot_item.setLabel("left", self.spec.unit, **{"font-size": f"{round(12 * scale)}px"})
        self.plot_item.setTitle(f"{self.spec.sensor_name} — {self.spec.label}", color="#e0e0e0", size=f"{round(14 * scale)}px")
        title_px = max(30, round(14 * scale * 1.6))  # pyqtgraph keeps the title row 30 px: a wall display's text is taller
        self.plot_item.titleLabel.setMaximumHeight(title_px)
        self.plot_item.layout.setRowFixedHeight(0, title_px)
        band_font = QFont()
        band_font.setPixelSize(round(12 * scale))
        band_font.setBold(True)
        for label in self.alarm_band_labels:
            label.setFont(band_font)
        hover_font = QFont()
        hover_font.setPixelSize(round(13 * scale))
        self.hover_text.setFont(hover_font)
        self.stale_label.setStyleSheet(f"background:#5d4037;color:#ffe0b2;padding:{round(3 * scale)}px {round(8 * scale)}px;"
                                       f"font-weight:bold;font-size:{round(13 * scale)}px;")
        self.curve.setPen(pg.mkPen(self.curve.opts["pen"].color(), width=2 * scale, style=self.curve.opts["pen"].style()))
        if self.spec.alarm_levels is not None:
            self._fit_y()  # the room above level III follows the label's size

    # --- data -----------------------------------------------------------------------------
    def set_series(self, ts: np.ndarray, value: np.ndarray, vmin: np.ndarray | None = None,
                   vmax: np.ndarray | None = None, *, start: float, end: float, resolution: str = "raw",
                   newest: float | None = None) -> None:
        """Replace the data with what was loaded for [start, end] at ``resolution``; `newest`:
        when the newest stored reading was taken (a rain plot's points are hours, not readings)."""
        if newest is not None:
            self._newest_seen = max(self._newest_seen or float("-inf"), newest)
        self._ts = np.asarray(ts, dtype=float)
        self._value = np.asarray(value, dtype=float)
        self._vmin = None if vmin is None else np.asarray(vmin, dtype=float)
        self._vmax = None if vmax is None else np.asarray(vmax, dtype=float)
        self.loaded = (start, end)
        self.resolution = resolution
        self._redraw()
        self._fit_y()
        self.refresh_status()

    def append(self, ts: np.ndarray | list[float], value: np.ndarray | list[float]) -> int:
        """Append live readings newer than the last point; returns how many were taken."""
        ts = np.asarray(ts, dtype=float)
        value = np.asarray(value, dtype=float)
        if ts.size == 0:
            return 0
        if self.spec.kind == "rain":
            return self._append_rain(ts, value)
        last = self._ts[-1] if self._ts.size else -np.inf
        keep = ts > last
        if not keep.any():
            return 0
        ts, value = ts[keep], value[keep]
        order = np.argsort(ts, kind="stable")
        ts, value = ts[order], value[order]
        self._ts = np.concatenate([self._ts, ts])[-MAX_LIVE_POINTS:]
        self._value = np.concatenate([self._value, value])[-MAX_LIVE_POINTS:]
        if self._vmin is not None and self._vmax is not None:
            self._vmin = np.concatenate([self._vmin, value])[-MAX_LIVE_POINTS:]
            self._vmax = np.concatenate([self._vmax, value])[-MAX_LIVE_POINTS:]
        if self.loaded is not None:
            self.loaded = (self.loaded[0], max(self.loaded[1], float(ts[-1])))
        self._dirty = True
        return int(ts.size)

    def _append_rain(self, ts: np.ndarray, mm: np.ndarray) -> int:
        """Rain plots hold hourly sums (bucket centres): add each reading to its hour."""
        self._newest_seen = max(self._newest_seen or float("-inf"), float(ts.max()))  # the reading's time, not its hour's
        for t, v in zip(ts.tolist(), mm.tolist()):
            centre = t - t % 3600 + 1800
            if self._ts.size and self._ts[-1] == centre:
                self._value[-1] += v
            elif not self._ts.size or centre > self._ts[-1]:
                self._ts = np.append(self._ts, centre)[-MAX_LIVE_POINTS:]
                self._value = np.append(self._value, v)[-MAX_LIVE_POINTS:]
        self._dirty = True
        return int(ts.size)

    def _redraw_if_dirty(self) -> None:
        if self._dirty:
            self._redraw()
            self.refresh_status()

    def _redraw(self) -> None:
        self._dirty = False
        x, y = self._ts, self._value
        if self.spec.kind == "rain" and x.size:  # each hour's total as a flat top across its hour
            x = np.column_stack((x - 1800.0, x + 1800.0)).ravel()
            y = np.repeat(y, 2)
        self.curve.setData(x, y, connect="finite")
        has_envelope = self._vmin is not None and self._vmax is not None and self._ts.size > 0
        if has_envelope:
            self.min_curve.setData(self._ts, self._vmin, connect="finite")
            self.max_curve.setData(self._ts, self._vmax, connect="finite")
        for item in (self.min_curve, self.max_curve, self.envelope):
            item.setVisible(has_envelope)

    def _fit_y(self) -> None:
        """Y follows the data; a water-level plot always keeps levels I-III in view."""
        values = [a for a in (self._value, self._vmin, self._vmax) if a is not None and a.size]
        finite = np.concatenate(values) if values else np.empty(0)
        finite = finite[np.isfinite(finite)]
        levels = self.spec.alarm_levels
        if levels is None:
            self.plot_item.enableAutoRange(axis="y")
            return
        low = min(float(finite.min()) if finite.size else levels.level_1, levels.level_1) - 0.3
        # room above level III for its label: it grows with the text (a wall display's is 1.8x)
        label_px, plot_px = 12 * self.scale * 1.6, self.plot_item.getViewBox().height()
        above = 0.6 if plot_px <= 2 * label_px else max(0.6, 1.2 * label_px * (levels.level_3 - low) / (plot_px - label_px))
        high = max(float(finite.max()) + 0.6 if finite.size else levels.level_3, levels.level_3 + above)
        self.plot_item.setYRange(low, high, padding=0.02)

    def show_range(self, start: float, end: float, follow: bool) -> None:
        """Set the visible time range (no query: the owner loads data when asked)."""
        self.follow_live = follow
        self.plot_item.setXRange(start, end, padding=0)
        self.alarm_bands.place_labels()

    def scroll_to_now(self) -> None:
        """Slide a live view so its right edge is now, keeping its width; a view fitted to
        fresh data (`grow_to`) keeps its left edge and widens until it spans its preset."""
        if not self.follow_live:
            return
        (x0, x1), _ = self.plot_item.getViewBox().viewRange()
        now = self._now()
        width = x1 - x0
        if self.grow_to is not None and width < self.grow_to:
            width = min(self.grow_to, max(width, now - x0))
        self.show_range(now - width, now, follow=True)
        self.forget_scrolled_out()

    def forget_scrolled_out(self) -> None:
        """A live view holds what it shows and one width before it, not every point since it
        opened: after days on the wall the rest is history in the database (a pan back there
        reads it again, `loaded` says so) and every redraw would walk it. Trimmed only once a
        quarter of the points is old, so the copy is rare. Call on each plot of a shared axis."""
        if not self.follow_live:
            return
        (x0, x1), _ = self.plot_item.getViewBox().viewRange()
        self._forget_before(x0 - (x1 - x0))

    def _forget_before(self, keep_from: float) -> None:
        # one point before the edge stays (the line enters the view from it); a rain bar spans
        # its hour's centre +-30 min, so its hour is kept while any of the bar can show
        edge = keep_from - 1800 if self.spec.kind == "rain" else keep_from
        first = int(np.searchsorted(self._ts, edge)) - 1
        if first <= 0 or first < self._ts.size // 4:
            return
        keep_from = float(self._ts[first])
        self._ts, self._value = self._ts[first:].copy(), self._value[first:].copy()
        if self._vmin is not None and self._vmax is not None:
            self._vmin, self._vmax = self._vmin[first:].copy(), self._vmax[first:].copy()
        if self.loaded is not None:
            self.loaded = (max(self.loaded[0], keep_from), self.loaded[1])
        self._dirty = True

    def _on_manual_change(self, *_args) -> None:
        self.follow_live = False  # the operator zoomed or panned: stop scrolling under them
        self.moved_by_operator.emit()
        (x0, x1), _ = self.plot_item.getViewBox().viewRange()
        if self.loaded is None or x0 < self.loaded[0] or x1 > self.loaded[1] + 60 or self._too_coarse(x1 - x0):
            self._request_timer.start()

    def _too_coarse(self, span: float) -> bool:
        """Zoomed in far enough that a finer resolution would be read (rain is always hourly)."""
        wanted = resolution_for_span(span)
        return self.spec.kind != "rain" and self.resolution in RESOLUTIONS and RESOLUTIONS.index(wanted) < RESOLUTIONS.index(self.resolution)

    def _emit_request(self) -> None:
        (x0, x1), _ = self.plot_item.getViewBox().viewRange()
        self.range_requested.emit(float(x0), float(x1))

    # --- freshness ------------------------------------------------------------------------
    def last_timestamp(self) -> float | None:
        """The newest reading this plot has held: looking at last week does not make a live series stale.
        A rain plot's points are hour centres (one may lie ahead of now): only reading times count."""
        if self._ts.size and self.spec.kind != "rain":
            self._newest_seen = max(self._newest_seen or float("-inf"), float(self._ts[-1]))
        return self._newest_seen

    def refresh_status(self, last_ts: float | None = None, device_online: bool | None = None) -> None:
        """Re-evaluate live/stale from the newest point seen (or a newer one given)."""
        newest = max(filter(None, (last_ts, self.last_timestamp())), default=None)
        last = datetime.fromtimestamp(newest, timezone.utc) if newest is not None else None
        now = datetime.fromtimestamp(self._now(), timezone.utc)
        self.set_status(series_status(last, now, self.spec.live_limit_s, device_online))

    def set_status(self, status: SeriesStatus) -> None:
        self.status = status
        stale = status.is_stale
        if stale:
            hhmm = status.last_local_hhmm(self.tz)
            text = (tr("Device offline — last value at {time}", time=hhmm) if status.freshness is Freshness.OFFLINE
                    else tr("No data for over 3 reporting intervals — last value at {time}", time=hhmm))
            self.stale_label.setText("⚠ " + text)
        self.stale_label.setVisible(stale)
        if stale != self._drawn_stale:  # a new pen redraws the curve: only when the look changes
            self._drawn_stale = stale
            colour = STALE_COLOUR if stale else CURVE_COLOUR
            style = Qt.PenStyle.DashLine if stale else Qt.PenStyle.SolidLine
            self.curve.setPen(pg.mkPen(colour, width=2 * self.scale, style=style))

    # --- hover and export -----------------------------------------------------------------
    def _on_mouse_moved(self, event) -> None:
        pos = event[0]
        vb = self.plot_item.getViewBox()
        if not self._ts.size or not self.plot_item.sceneBoundingRect().contains(pos):
            self.hover_line.setVisible(False)
            self.hover_text.setVisible(False)
            return
        x = vb.mapSceneToView(pos).x()
        self.show_hover_at(x)

    def hover_text_at(self, x: float) -> tuple[float, float, str] | None:
        """(ts, value, text) of the point nearest to x, for the hover label."""
        if not self._ts.size:
            return None
        i = int(np.clip(np.searchsorted(self._ts, x), 0, self._ts.size - 1))
        if i > 0 and abs(self._ts[i - 1] - x) < abs(self._ts[i] - x):
            i -= 1
        ts, value = float(self._ts[i]), float(self._value[i])
        local = datetime.fromtimestamp(ts, timezone.utc).astimezone(self.tz)
        lines = [f"{format_number(value, 3)} {self.spec.unit}", local.strftime("%H:%M:%S %d/%m/%Y")]
        if self._vmin is not None and self._vmax is not None and self._vmin[i] != self._vmax[i]:
            lines.insert(1, tr("min {low} – max {high}", low=format_number(float(self._vmin[i]), 3),
                               high=format_number(float(self._vmax[i]), 3)))
        return ts, value, "\n".join(lines)

    def show_hover_at(self, x: float) -> str:
        found = self.hover_text_at(x)
        if found is None:
            return ""
        ts, value, text = found
        self.hover_line.setPos(ts)
        self.hover_text.setText(text)
        self.hover_text.setPos(ts, value)
        self.hover_line.setVisible(True)
        self.hover_text.setVisible(True)
        return text

    def visible_range(self) -> tuple[float, float]:
        (x0, x1), _ = self.plot_item.getViewBox().viewRange()
        return float(x0), float(x1)

    def export_series(self) -> ExportSeries:
        """A copy of the data (the owner writes it in a worker, cut to the visible range)."""
        return ExportSeries(self.spec.sensor_name, self.spec.label, self.spec.unit, self._ts.copy(),
                            self._value.copy(), None if self._vmin is None else self._vmin.copy(),
                            None if self._vmax is None else self._vmax.copy())
