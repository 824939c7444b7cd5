"""A metric tile's arrow says a trend only when the readings show one: fitted over the last 30
minutes, none from a few seconds of data, and one noisy reading does not turn it."""

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
