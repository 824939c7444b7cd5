"""Trends on the tiles say what the readings show: a metric's arrow is fitted over the last 30
minutes, none from a few seconds of data, and one noisy reading does not turn it; a gauge's
trend covers its whole half hour however often it reports, and says how much data it rests on."""

from __future__ import annotations

from datetime import datetime, timezone

from controlroom.domain import Reading
from controlroom.ui.sensors.dashboard import SensorDashboard

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc).timestamp()


def _tile_after(qtbot, config, values: list[tuple[float, float]]):
    """The pond's oxygen tile after readings (seconds before NOW, mg/L)."""
    dashboard = SensorDashboard(config, now_fn=lambda: NOW)
    qtbot.addWidget(dashboard)
    dashboard.apply_readings([Reading("ao_tom_1", "do", datetime.fromtimestamp(NOW - ago, timezone.utc), value)
                              for ago, value in values])
    return dashboard.tiles["sensor/ao_tom_1/do"].value_label.text()


def test_two_readings_seconds_apart_show_no_arrow(qtbot, second_config):
    text = _tile_after(qtbot, second_config, [(10, 6.2), (0, 6.0)])
    assert text.startswith("6,00") and not text.endswith(("↑", "↓", "→")), text


def test_one_noisy_reading_on_a_steady_pond_reads_steady(qtbot, second_config):
    steady = [(1800 - 60 * i, 6.0) for i in range(30)]
    assert _tile_after(qtbot, second_config, steady + [(0, 5.8)]).endswith("→")


def test_oxygen_falling_for_half_an_hour_reads_falling(qtbot, second_config):
    falling = [(1800 - 60 * i, 6.0 - 0.03 * i) for i in range(31)]
    assert _tile_after(qtbot, second_config, falling).endswith("↓")


def _level_tile_after(qtbot, config, values: list[tuple[float, float]]):
    dashboard = SensorDashboard(config, now_fn=lambda: NOW)
    qtbot.addWidget(dashboard)
    dashboard.apply_readings([Reading("dam_cau_hai", "level", datetime.fromtimestamp(NOW - ago, timezone.utc), value)
                              for ago, value in values])
    return dashboard.tiles["sensor/dam_cau_hai/level"].trend_label.text().replace("\u2060", "")


def test_a_gauge_reporting_every_second_has_its_trend_over_the_whole_half_hour(qtbot, second_config):
    """Its interval says a minute; it sends every second. The lagoon rose 30 cm in 24 minutes and
    fell 2 cm since: the half hour's trend is rising (the last 6 minutes alone would say falling)."""
    rise = [(1800 - s, 1.0 + 0.3 * s / 1440) for s in range(1441)]
    fall = [(360 - s, 1.3 - 0.02 * s / 360) for s in range(1, 361)]
    text = _level_tile_after(qtbot, second_config, rise + fall)
    assert text.startswith("Xu thế: +") and "(30 phút qua)" in text, text


def test_a_trend_on_ten_minutes_of_data_says_ten_minutes(qtbot, second_config):
    text = _level_tile_after(qtbot, second_config, [(600 - 60 * i, 1.0 + 0.01 * i) for i in range(11)])
    assert text.startswith("Xu thế: +") and "(10 phút qua)" in text, text
