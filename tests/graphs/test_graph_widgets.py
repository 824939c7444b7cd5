"""Sensor plots, graph view and dashboard on a real SQLite database (pytest-qt, offscreen)."""

from __future__ import annotations

import csv
from datetime import datetime, timezone

import numpy as np
import pytest

from controlroom.domain import Reading
from controlroom.storage.db import create_engine_for, migrate
from controlroom.bus import EventBus
from controlroom.config import DatabaseConfig
from controlroom.storage.writer import StorageWriter
from controlroom.storage.queries import read_series
from controlroom.ui.shell.background import run_in_background
from controlroom.ui.sensors.graph_view import GraphView
from controlroom.ui.sensors.dashboard import SensorDashboard
from controlroom.widgets.plot_spec import PlotSpec
from controlroom.widgets.sensor_plot import SensorPlot
from controlroom.widgets.water_level_tile import WaterLevelTile

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc).timestamp()  # 15:00 in Vietnam


@pytest.fixture
def engine(tmp_path):
    engine = create_engine_for(f"sqlite:///{tmp_path / 'graphs.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


def store(engine, site_id: str, sensor_id: str, metric: str, ts: np.ndarray, values: np.ndarray) -> None:
    """Through the app's one writer thread, which also maintains the rollups."""
    bus = EventBus()
    writer = StorageWriter(engine, bus, site_id, DatabaseConfig())
    writer.start()
    try:
        for t, v in zip(ts.tolist(), values.tolist()):
            bus.publish(Reading(sensor_id, metric, datetime.fromtimestamp(t, timezone.utc), v))
        assert writer.flush(timeout=120)
    finally:
        writer.stop()


def test_stale_series_is_marked_with_the_time_of_its_last_value(qtbot, demo_config):
    clock = {"now": NOW}
    plot = SensorPlot(PlotSpec.from_config(demo_config.sensor("wq_luong_co"), "do"), demo_config.site.tz,
                      now_fn=lambda: clock["now"])
    qtbot.addWidget(plot)
    ts = NOW - 3600 + np.arange(0, 50 * 60, 60.0)  # last value 10 min before now, interval 60 s
    plot.set_series(ts, np.full(ts.size, 6.2), start=NOW - 3600, end=NOW)
    last_local = datetime.fromtimestamp(ts[-1], timezone.utc).astimezone(demo_config.site.tz).strftime("%H:%M")
    assert plot.status.is_stale
    assert not plot.stale_label.isHidden()
    assert f"giá trị cuối lúc {last_local}" in plot.stale_label.text()  # "14:49"
    assert plot.curve.opts["pen"].style() != plot.min_curve.opts["pen"].style()  # dashed when stale

    plot.append([NOW - 30], [6.1])  # a fresh reading: no longer stale
    plot.refresh_status()
    assert not plot.status.is_stale and plot.stale_label.isHidden()


def test_a_rain_plot_judges_freshness_by_its_readings_not_by_its_hour_buckets(qtbot, second_config, engine):
    """Rain is plotted as hourly totals centred on the half hour. Freshness comes from the
    newest reading's own time (kept in storage beside the rollups): a gauge reporting every
    5 minutes is live at :57, although its hour's point sits at :30; a gauge silent since
    08:01 is stale at 08:25, although its hour's point (08:30) lies ahead of now."""
    site, tz = second_config.site.id, second_config.site.tz
    spec = PlotSpec("mua_vh_cau_hai", "rain_mm", "Đo mưa bến Cầu Hai", "Lượng mưa từng giờ", "mm/giờ",
                    live_limit_s=900, kind="rain")
    reporting = NOW + np.arange(0, 56 * 60, 300.0)  # 08:00 ... 08:55, every 5 minutes
    store(engine, site, spec.sensor_id, spec.metric, reporting, np.zeros(reporting.size))  # a dry hour
    hourly = read_series(engine, site, spec.sensor_id, spec.metric, NOW - 3600, NOW + 3600, "hour")
    assert hourly.newest_ts == pytest.approx(reporting[-1])  # the reading's time, not its hour's

    clock = [NOW + 57 * 60]
    plot = SensorPlot(spec, tz, now_fn=lambda: clock[0])
    qtbot.addWidget(plot)
    plot.set_series(hourly.ts + 1800, hourly.value * hourly.count, start=NOW - 3600, end=clock[0],
                    resolution="hour", newest=hourly.newest_ts)
    assert not plot.status.is_stale and plot.stale_label.isHidden()
    plot.resize(600, 300)
    plot.show()
    plot.plot_item.getViewBox().updateAutoRange()  # the y range as it follows the data
    assert plot.plot_item.getViewBox().viewRange()[1][0] == 0  # a dry hour on the axis: no negative rain

    silent = SensorPlot(spec, tz, now_fn=lambda: clock[0])
    qtbot.addWidget(silent)
    clock[0] = NOW + 25 * 60
    silent.append([NOW + 60], [1.2])  # 08:01, then nothing: its hour's point is 08:30
    silent.refresh_status()
    last_local = datetime.fromtimestamp(NOW + 60, timezone.utc).astimezone(tz).strftime("%H:%M")
    assert silent.status.is_stale and f"giá trị cuối lúc {last_local}" in silent.stale_label.text()
    silent.append([clock[0] - 30], [0.2])  # it reports again
    silent.refresh_status()
    assert not silent.status.is_stale


def test_looking_at_an_older_window_does_not_mark_a_live_series_stale(qtbot, demo_config):
    plot = SensorPlot(PlotSpec.from_config(demo_config.sensor("wq_luong_co"), "do"), demo_config.site.tz,
                      now_fn=lambda: NOW)
    qtbot.addWidget(plot)
    recent = NOW - 3600 + np.arange(0, 3600, 60.0)
    plot.set_series(recent, np.full(recent.size, 6.2), start=NOW - 3600, end=NOW)
    assert not plot.status.is_stale
    last_week = recent - 7 * 86400
    plot.set_series(last_week, np.full(last_week.size, 5.9), start=NOW - 7 * 86400 - 3600, end=NOW - 7 * 86400)
    assert not plot.status.is_stale and plot.stale_label.isHidden()


def test_water_level_plot_draws_alarm_levels_as_labelled_bands(qtbot, demo_config):
    sensor = demo_config.sensor("wl_phu_oc")
    plot = SensorPlot(PlotSpec.from_config(sensor, "level"), demo_config.site.tz)
    qtbot.addWidget(plot)
    regions = [tuple(round(v, 3) for v in item.getRegion()) for item in plot.alarm_band_items]
    levels = sensor.alarm_levels
    assert regions == [(levels.level_1, levels.level_2), (levels.level_2, levels.level_3),
                       (levels.level_3, levels.level_3 + (levels.level_3 - levels.level_2))]
    labels = [label.textItem.toPlainText() for label in plot.alarm_band_labels]
    assert labels == ["Báo động I (1,50 m)", "Báo động II (3,00 m)", "Báo động III (4,50 m)"]
    # the plot keeps level III in view even when the river is low
    ts = NOW - np.arange(3600, 0, -60.0)
    plot.set_series(ts, np.full(ts.size, 0.8), start=ts[0], end=NOW)
    _, (y0, y1) = plot.plot_item.getViewBox().viewRange()
    assert y0 <= 0.8 and y1 >= levels.level_3


def test_water_quality_plot_draws_its_qcvn_limits(qtbot, demo_config):
    plot = SensorPlot(PlotSpec.from_config(demo_config.sensor("wq_luong_co"), "ph"), demo_config.site.tz)
    qtbot.addWidget(plot)
    assert sorted(line.value() for line in plot.threshold_lines) == [6.0, 8.5]
    assert all("QCVN 08:2023/BTNMT" in line.toolTip() for line in plot.threshold_lines)


def test_hover_shows_exact_value_and_local_time(qtbot, demo_config):
    plot = SensorPlot(PlotSpec.from_config(demo_config.sensor("wl_phu_oc"), "level"), demo_config.site.tz)
    qtbot.addWidget(plot)
    ts = np.array([NOW - 120, NOW - 60])
    plot.set_series(ts, np.array([3.125, 3.25]), start=ts[0], end=NOW)
    assert plot.show_hover_at(NOW - 70) == "3,250 m\n14:59:00 20/11/2026"


def test_long_range_reads_rollups_keeps_the_peak_and_live_data_appends_without_a_query(qtbot, demo_config, engine, tmp_path):
    site = demo_config.site.id
    ts = NOW - 3 * 86400 + np.arange(0, 3 * 86400, 60.0)
    level = np.full(ts.size, 1.0)
    peak_index = ts.size - 600
    level[peak_index] = 4.8  # a one-minute flood peak that an hourly mean would hide
    # and one reading four weeks back, so the 30-day view spans its whole window (not fitted to fresh data)
    store(engine, site, "wl_phu_oc", "level", np.concatenate(([NOW - 28 * 86400], ts)), np.concatenate(([1.0], level)))

    calls: list[tuple] = []

    def reader(sensor_id, metric, start, end, resolution):
        calls.append((sensor_id, metric, resolution))
        return read_series(engine, site, sensor_id, metric, start, end, resolution)

    view = GraphView(demo_config, reader, run_in_background, now_fn=lambda: NOW)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.loaded, timeout=30000):
        view.show_sensor("wl_phu_oc")
    with qtbot.waitSignal(view.loaded, timeout=30000):
        view.set_range("30d")
    plot = view.plots[0]
    assert plot.resolution == "hour" and calls[-1][2] == "hour"
    assert plot._vmax.max() == pytest.approx(4.8)  # the envelope keeps the peak
    assert plot._value.max() < 1.1  # while the hourly mean alone would hide it

    with qtbot.waitSignal(view.loaded, timeout=30000):
        view.set_range("1h")
    assert plot.resolution == "raw"
    queries = len(calls)
    before = plot._ts.size
    stamp = datetime.fromtimestamp(NOW + 30, timezone.utc)
    view.apply_readings([Reading("wl_phu_oc", "level", stamp, 3.3), Reading("aq_office", "pm25", stamp, 10.0)])
    assert plot._ts.size == before + 1 and plot._ts[-1] == NOW + 30
    assert len(calls) == queries  # appended, not re-queried

    done = []
    path = tmp_path / "export.csv"
    view.export_csv(str(path), done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=30000)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle))
    start, end = plot.visible_range()
    assert path.read_bytes()[:3] == b"\xef\xbb\xbf"
    assert done[0] == len(table) - 1 > 50
    times = [datetime.fromisoformat(row[4].replace("Z", "+00:00")).timestamp() for row in table[1:]]
    assert min(times) >= start and max(times) <= end


def test_dashboard_tiles_show_levels_trend_aqi_and_open_the_graph(qtbot, demo_config):
    clock = {"now": NOW}
    dashboard = SensorDashboard(demo_config, now_fn=lambda: clock["now"])
    qtbot.addWidget(dashboard)
    dashboard.resize(1600, 900)
    batch = []
    for i in range(61):  # the river rises 30 cm in the last hour, to 3.2 m
        stamp = datetime.fromtimestamp(NOW - 3600 + i * 60, timezone.utc)
        batch.append(Reading("wl_phu_oc", "level", stamp, 2.9 + 0.3 * i / 60))
    for hour in range(12):
        for minute in (5, 35):
            batch.append(Reading("aq_office", "pm25", datetime.fromtimestamp(NOW - hour * 3600 - minute * 60, timezone.utc), 30.0))
    dashboard.apply_readings(batch)
    tile = dashboard.tiles["sensor/wl_phu_oc/level"]
    assert isinstance(tile, WaterLevelTile) and tile.exceeded == 2
    assert tile.level_label.text() == "Trên báo động II"
    assert "+30,0 cm/giờ" in tile.trend_label.text().replace("\u2060", "")
    aqi = dashboard.tiles["aqi/aq_office"]
    assert aqi.result.value == 60 and aqi.band_label.text() == "Trung bình"

    opened = []
    dashboard.open_graph.connect(lambda s, m: opened.append((s, m)))
    tile.clicked.emit(tile.address)
    assert opened == [("wl_phu_oc", "level")]

    clock["now"] = NOW + 600  # ten minutes of silence: the tile turns grey with the last time
    dashboard.refresh()
    assert tile.state == "stale" and "giá trị cuối lúc 15:00" in tile.next_label.text()


def test_rain_plot_sums_readings_per_hour_and_draws_each_hour_flat(qtbot, demo_config):
    plot = SensorPlot(PlotSpec.from_config(demo_config.sensor("rain_office"), "rain"), demo_config.site.tz,
                      now_fn=lambda: NOW)
    qtbot.addWidget(plot)
    hour = NOW - NOW % 3600 - 7200
    plot.append([hour + 60, hour + 1200, hour + 3600 + 30], [1.5, 2.0, 4.0])  # two readings, then the next hour
    assert plot.export_series().value.tolist() == [3.5, 4.0]
    qtbot.waitUntil(lambda: plot.curve.getData()[0] is not None and len(plot.curve.getData()[0]) == 4)  # next redraw
    x, y = plot.curve.getData()
    assert x.tolist() == [hour, hour + 3600, hour + 3600, hour + 7200]
    assert y.tolist() == [3.5, 3.5, 4.0, 4.0]


def test_a_graph_opens_on_data_that_runs_ahead_of_the_pc_clock(qtbot, demo_config, engine):
    """The demo's simulator (x60) stamps readings hours ahead of the PC: the view ends at the
    newest reading, so the line is in view, not cut off at the right edge."""
    from controlroom.live_state import LiveState
    from controlroom.ui.sensors.graph_ranges import data_clock

    site = demo_config.site.id
    import time

    ahead = float(int(time.time())) + 5 * 3600  # the simulated clock, five hours ahead (whole seconds: exact in a datetime)
    ts = ahead - 6 * 3600 + np.arange(0, 6 * 3600, 60.0)
    store(engine, site, "wl_phu_oc", "level", ts, np.linspace(0.8, 3.2, ts.size))
    bus = EventBus()
    live = LiveState(bus)
    bus.publish(Reading("wl_phu_oc", "level", datetime.fromtimestamp(ts[-1], timezone.utc), 3.2))
    clock = data_clock(live)
    assert clock() >= ts[-1] > time.time()

    view = GraphView(demo_config, lambda *a: read_series(engine, site, *a), run_in_background, now_fn=clock)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.loaded, timeout=30000):
        view.show_sensor("wl_phu_oc")
    start, end = view.plots[0].visible_range()
    shown = view.plots[0]._ts
    assert end >= ts[-1] and shown.size and shown.max() >= ts[-1] - 120  # the newest data is on screen
    with qtbot.waitSignal(view.loaded, timeout=30000):
        view.set_range("15m")
    start, end = view.plots[0].visible_range()
    assert end >= ts[-1] and view.plots[0]._ts[(view.plots[0]._ts >= start)].size >= 10  # not a sliver


def test_a_steady_river_reads_zero_not_minus_zero(qtbot):
    tile = WaterLevelTile("sensor/gauge/level", "Trạm thử")
    qtbot.addWidget(tile)
    tile.show_level(0.8, -0.04, 0, (1, 0.7))
    assert "0,0 cm/giờ" in tile.trend_label.text().replace("\u2060", "") and "-0,0" not in tile.trend_label.text().replace("\u2060", "")
    tile.show_level(0.8, 0.04, 0, (1, 0.7))
    assert "+0,0" not in tile.trend_label.text().replace("\u2060", "")
    tile.show_level(0.8, 0.26, 0, (1, 0.7))
    assert "+0,3 cm/giờ" in tile.trend_label.text().replace("\u2060", "")


def test_the_graph_view_fits_a_narrow_dock_so_the_newest_data_is_not_scrolled_away(qtbot, demo_config):
    """In a 700-px dock (the flood picture beside the map and the queue at 1920x1080) the view's
    toolbar wraps: the view asks for no more width than the dock has, so no horizontal scroll
    bar hides the right edge, where the newest readings are."""
    from PyQt6.QtWidgets import QScrollArea

    view = GraphView(demo_config, lambda *a: None, run_in_background)
    scroll = QScrollArea()
    qtbot.addWidget(scroll)
    scroll.setWidgetResizable(True)
    scroll.setWidget(view)
    scroll.resize(700, 800)
    scroll.show()
    qtbot.waitExposed(scroll)
    assert view.minimumSizeHint().width() <= 700
    qtbot.waitUntil(lambda: not scroll.horizontalScrollBar().isVisible())
    assert view.width() <= scroll.viewport().width()


def test_presentation_hides_the_graph_toolbar_and_enlarges_the_plots_text(qtbot, demo_config, engine):
    from PyQt6.QtWidgets import QAbstractButton, QComboBox

    from controlroom.ui.sensors.graph_view import PRESENTATION_TEXT

    view = GraphView(demo_config, lambda *a: read_series(engine, demo_config.site.id, *a), run_in_background)
    qtbot.addWidget(view)
    view.show()
    view.show_sensor(next(s.id for s in demo_config.sensors if s.kind == "water_level"))
    plot = view.plots[0]
    desk = plot.plot_item.getAxis("bottom").style["tickFont"].pixelSize()
    view.set_presenting(True)
    assert not [w for w in view.findChildren((QAbstractButton, QComboBox)) if w.isVisible()]
    assert not view.status_label.isVisible()
    assert plot.plot_item.getAxis("bottom").style["tickFont"].pixelSize() == round(desk * PRESENTATION_TEXT)
    view.show_sensor(next(s.id for s in demo_config.sensors if s.kind == "rain"))  # a plot made while presenting
    assert view.plots[0].plot_item.getAxis("bottom").style["tickFont"].pixelSize() == round(desk * PRESENTATION_TEXT)
    view.set_presenting(False)
    assert view.sensor_box.isVisible()
    assert view.plots[0].plot_item.getAxis("bottom").style["tickFont"].pixelSize() == desk


def test_presentation_enlarges_the_flood_risk_banner_above_the_graphs(qtbot, second_config, engine):
    from controlroom.ui.sensors.graph_view import PRESENTATION_TEXT
    from controlroom.widgets.risk_banner import RiskBanner

    view = GraphView(second_config, lambda *a: read_series(engine, second_config.site.id, *a), run_in_background)
    qtbot.addWidget(view)
    view.banner = RiskBanner(view)
    view.layout().insertWidget(0, view.banner)
    view.banner.show_risk(3, "Cầu Hai", "1,20 m", "measured", "QĐ 18/2021/QĐ-TTg Điều 45")
    view.show()
    desk = view.banner.detail.fontInfo().pixelSize()
    view.set_presenting(True)
    assert view.banner.detail.fontInfo().pixelSize() == round(15 * PRESENTATION_TEXT)
    assert view.banner.detail.fontInfo().pixelSize() > desk and view.banner.level == 3
    view.set_presenting(False)
    assert view.banner.detail.fontInfo().pixelSize() == desk


def test_a_preset_opens_fitted_to_fresh_data_and_widens_to_its_span(qtbot, second_config, engine):
    """A room that started 20 minutes ago: the 24 h preset shows those 20 minutes across the
    plot (not a sliver at the right edge), read at a resolution that has points, and widens
    as time goes on, its left edge kept, until it spans 24 h; a station with a day of data
    gets the whole 24 h at once."""
    site = second_config.site.id
    lagoon = next(s for s in second_config.sensors if s.kind == "water_level")
    metric = next(iter(lagoon.metrics))
    clock = [NOW]
    ts = NOW - 20 * 60 + np.arange(0, 20 * 60, 30.0)
    store(engine, site, lagoon.id, metric, ts, np.linspace(0.4, 0.9, ts.size))
    view = GraphView(second_config, lambda *a: read_series(engine, site, *a), run_in_background, now_fn=lambda: clock[0])
    qtbot.addWidget(view)
    view.show()
    with qtbot.waitSignal(view.loaded, timeout=30000):
        view.show_sensor(lagoon.id)
    plot = view.plots[0]
    start, end = plot.visible_range()
    assert view.range_key == "24h" and end == pytest.approx(NOW)
    assert ts[0] - 5 * 60 < start <= ts[0]  # the data fills the plot
    assert plot._ts[plot._ts >= start].size >= 30  # points, not two minute buckets

    clock[0] = NOW + 40 * 60  # forty minutes on: the left edge stays, the view widens
    plot.scroll_to_now()
    start2, end2 = plot.visible_range()
    assert start2 == pytest.approx(start) and end2 == pytest.approx(NOW + 40 * 60)
    clock[0] = NOW + 30 * 3600  # past a day: it slides at 24 h
    plot.scroll_to_now()
    start3, end3 = plot.visible_range()
    assert end3 - start3 == pytest.approx(86400)

    older = NOW - 86400 + np.arange(0, 86400, 600.0)
    store(engine, site, lagoon.id, metric, older, np.full(older.size, 0.5))
    clock[0] = NOW
    with qtbot.waitSignal(view.loaded, timeout=30000):
        view.set_range("24h")
    start4, end4 = view.plots[0].visible_range()
    assert end4 - start4 == pytest.approx(86400)


def test_presentation_shows_every_plot_without_a_scroll_bar(qtbot, demo_config, engine):
    view = GraphView(demo_config, lambda *a: read_series(engine, demo_config.site.id, *a), run_in_background)
    qtbot.addWidget(view)
    view.resize(1200, 700)
    view.show()
    view.show_flood_picture()
    assert len(view.plots) >= 3
    qtbot.waitUntil(lambda: view._scroll.verticalScrollBar().maximum() > 0, timeout=10000)  # a desk scrolls
    view.set_presenting(True)
    qtbot.waitUntil(lambda: view._scroll.verticalScrollBar().maximum() == 0, timeout=10000)
    assert not view._scroll.verticalScrollBar().isVisible()
    bottom = max(p.geometry().bottom() for p in view.plots)
    assert bottom <= view._scroll.viewport().height()  # the last plot is on screen, whole
    view.set_presenting(False)
    qtbot.waitUntil(lambda: view._scroll.verticalScrollBar().maximum() > 0, timeout=10000)


def test_a_live_plot_forgets_what_scrolled_out_and_reads_it_again_when_panned_back(qtbot, second_config):
    """Following live for hours, a plot keeps its view and one width before it, not every
    point since it opened (memory and redraw time would grow with uptime); panning back past
    what it holds asks for that range from storage."""
    lagoon = next(s for s in second_config.sensors if s.kind == "water_level")
    clock = [NOW]
    plot = SensorPlot(PlotSpec.from_config(lagoon, next(iter(lagoon.metrics))), second_config.site.tz,
                      now_fn=lambda: clock[0])
    qtbot.addWidget(plot)
    plot.resize(600, 300)
    plot.show()
    plot.set_series(np.array([NOW - 60.0]), np.array([0.5]), start=NOW - 900, end=NOW)
    plot.show_range(NOW - 900, NOW, follow=True)  # the 15-minute view, following
    for second in range(10, 4 * 3600 + 1, 10):  # four hours of a reading every 10 s, sliding each minute
        clock[0] = NOW + second
        plot.append([clock[0]], [0.5 + second * 1e-5])
        if second % 60 == 0:
            plot.scroll_to_now()
    start, end = plot.visible_range()
    assert end == pytest.approx(clock[0], abs=1) and end - start == pytest.approx(900, abs=1)
    held = plot._ts
    assert held.size <= 2 * 1800 // 10 * 4 / 3 + 10  # two widths and the slack before a trim, not 1441
    assert held[0] <= start - 900 and np.all(np.diff(held) > 0)  # the view, a width before it and one point more
    assert plot.loaded[0] == pytest.approx(held[0], abs=1)  # what it holds, so a pan back asks again
    with qtbot.waitSignal(plot.range_requested, timeout=5000) as asked:
        plot.show_range(NOW, NOW + 900, follow=False)  # the operator pans back to the first hour
        plot._on_manual_change()
    assert asked.args[0] == pytest.approx(NOW, abs=1)


def test_a_rain_plot_keeps_the_hour_whose_bar_is_still_on_screen(qtbot, second_config):
    """Rain points are hour centres with a bar of +-30 min: at 10 past, the 15-minute view still
    shows the last hour's bar, so its point is never forgotten."""
    spec = PlotSpec("mua_vh_cau_hai", "rain_mm", "Đo mưa bến Cầu Hai", "Lượng mưa từng giờ", "mm/giờ",
                    live_limit_s=900, kind="rain")
    hour = NOW - NOW % 3600
    clock = [hour - 10 * 3600]
    plot = SensorPlot(spec, second_config.site.tz, now_fn=lambda: clock[0])
    qtbot.addWidget(plot)
    plot.resize(600, 300)
    plot.show()
    plot.set_series(np.empty(0), np.empty(0), start=clock[0] - 900, end=clock[0])
    plot.show_range(clock[0] - 900, clock[0], follow=True)
    while clock[0] < hour + 600:  # ten hours of 5-minute readings, to 10 past the hour
        clock[0] += 300
        plot.append([clock[0]], [0.4])
        plot.scroll_to_now()
    assert hour - 1800 in plot._ts.tolist()  # the last hour's bar, still in the view at 10 past
    assert plot._ts.size < 10  # the earlier hours are forgotten


def test_every_plot_of_a_shared_time_axis_forgets_and_a_pan_on_any_stops_them_all(qtbot, engine, second_config):
    specs = [PlotSpec.from_config(s, m) for s in second_config.sensors for m in s.metrics][:3]
    clock = [NOW]
    view = GraphView(second_config, lambda *a: read_series(engine, second_config.site.id, *a), run_in_background,
                     now_fn=lambda: clock[0])
    qtbot.addWidget(view)
    view.show()
    with qtbot.waitSignal(view.loaded, timeout=30000):
        view.set_specs(specs)
    for plot in view.plots:
        plot.set_series(np.array([NOW - 60.0]), np.array([1.0]), start=NOW - 900, end=NOW)
    view.plots[0].show_range(NOW - 900, NOW, follow=True)
    for second in range(10, 3 * 3600 + 1, 10):
        clock[0] = NOW + second
        for plot in view.plots:
            plot.append([clock[0]], [1.0])
        if second % 60 == 0:
            view._scroll_live()  # what the view's one-second timer does
    assert all(plot._ts.size <= 2 * 1800 // 10 * 4 / 3 + 10 for plot in view.plots)  # not only the first
    view.plots[2]._on_manual_change()  # the operator pans the third plot
    assert not any(plot.follow_live for plot in view.plots)  # the first no longer slides them all back
