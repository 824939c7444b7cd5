"""Alarm levels say where they come from: only a station whose levels the state set is shown
with "báo động"; a commune gauge whose marks were copied or set locally says they are its own."""

from __future__ import annotations

from controlroom.widgets.plot_spec import PlotSpec
from controlroom.widgets.sensor_plot import SensorPlot
from controlroom.widgets.water_level_tile import WaterLevelTile


def test_only_the_hydrological_station_has_official_levels_in_the_demo(demo_config):
    gauges = {s.id: s.alarm_levels.official for s in demo_config.sensors if s.alarm_levels is not None}
    assert sorted(gauges.values()) == [False, False, True]  # Phú Ốc (QĐ 05/2020); two gauges copy its marks
    assert all("05/2020" in s.alarm_levels.source for s in demo_config.sensors if s.alarm_levels)


def test_a_gauge_with_local_marks_never_says_alarm_level(second_config, qtbot):
    gauge = next(s for s in second_config.sensors if s.alarm_levels is not None)
    assert not gauge.alarm_levels.official  # a lagoon gauge: the commune's own marks
    tile = WaterLevelTile(f"sensor/{gauge.id}/level", gauge.name, official=gauge.alarm_levels.official,
                          source=gauge.alarm_levels.source)
    qtbot.addWidget(tile)
    tile.show_level(gauge.alarm_levels.level_2 + 0.1, None, 2, (3, 0.4))
    assert tile.level_label.text() == "Trên mốc II của xã" and "mốc III" in tile.next_label.text().replace("\u00a0", " ")
    assert "không phải mức báo động chính thức" in tile.toolTip() and gauge.alarm_levels.source in tile.toolTip()
    tile.show_level(gauge.alarm_levels.level_3 + 0.2, None, 3, None)  # past the last mark: still the commune's
    assert (tile.level_label.text(), tile.next_label.text()) == ("Trên mốc III của xã", "Đã vượt mốc III của xã")
    official = WaterLevelTile("sensor/x/level", "Trạm", official=True)
    qtbot.addWidget(official)
    official.show_level(2.0, None, 2, (3, 0.4))
    assert official.level_label.text() == "Trên báo động II"


def test_a_level_a_hair_below_a_mark_is_at_it_not_zero_metres_below(second_config, qtbot):
    """0,899 m under a 0,90 m mark read "Dưới mốc I của xã · Còn 0,00 m đến mốc I"."""
    gauge = next(s for s in second_config.sensors if s.alarm_levels is not None)
    tile = WaterLevelTile(f"sensor/{gauge.id}/level", gauge.name, official=False)
    qtbot.addWidget(tile)
    tile.show_level(gauge.alarm_levels.level_1 - 0.001, None, 0, (1, 0.001))
    assert tile.next_label.text() == "Sát mốc I của xã"
    official = WaterLevelTile("sensor/x/level", "Trạm", official=True)
    qtbot.addWidget(official)
    official.show_level(1.499, None, 0, (1, 0.001))
    assert official.next_label.text().replace("\u00a0", " ") == "Sát mức báo động I"
    official.show_level(1.4, None, 0, (1, 0.1))
    assert official.next_label.text().replace("\u00a0", " ") == "Còn 0,10 m đến báo động I"


def test_a_gauge_with_the_communes_own_marks_is_not_drawn_with_alarm_levels(qtbot, second_config):
    """A lagoon gauge's marks are the commune's: its tiles and duty panel say "mốc … của xã",
    and the graph drew the same bands as "Báo động I-III", the state's words."""
    sensor = next(s for s in second_config.sensors if s.alarm_levels is not None and not s.alarm_levels.official)
    plot = SensorPlot(PlotSpec.from_config(sensor, "level"), second_config.site.tz)
    qtbot.addWidget(plot)
    labels = [label.textItem.toPlainText() for label in plot.alarm_band_labels]
    assert [label.split(" (")[0] for label in labels] == ["Mốc I của xã", "Mốc II của xã", "Mốc III của xã"]


def test_a_gauge_with_the_communes_limits_draws_both_in_its_tiles_words(qtbot, second_config):
    """The tile said "past the commune's danger limit" over a graph that drew only the warning
    line, as "Giới hạn trên"."""
    sensor = next(s for s in second_config.sensors if s.kind == "water_level" and s.alarm_levels is None
                  and next(iter(s.metrics.values())).thresholds.high_high is not None)
    metric, limits = next(iter(sensor.metrics.items()))
    plot = SensorPlot(PlotSpec.from_config(sensor, metric), second_config.site.tz)
    qtbot.addWidget(plot)
    labels = sorted((line.value(), line.label.textItem.toPlainText()) for line in plot.threshold_lines)
    high, high_high = limits.thresholds.high, limits.thresholds.high_high
    assert [text.split(" ")[:5] for _, text in labels] == [["Ngưỡng", "cảnh", "báo", "của", "xã"],
                                                            ["Ngưỡng", "nguy", "hiểm", "của", "xã"]]
    assert [value for value, _ in labels] == [high, high_high]
