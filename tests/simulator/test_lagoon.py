"""The lagoon commune: a gauge with only the commune's own limits (no official alarm levels
I-III), brackish shrimp ponds, and bulletin words that fit flooding from a lagoon."""

from __future__ import annotations

import tomllib
from datetime import datetime, timezone

import pytest

from controlroom.alerts.rules import compile_rules
from controlroom.config import ConfigError, load_config
from controlroom.sim.models import SiteModel

from ..conftest import SITES

START = datetime(2026, 11, 20, 17, 0, tzinfo=timezone.utc)  # 00:00 in Huế


def test_a_lagoon_gauge_needs_only_the_communes_limits_and_a_gauge_with_neither_is_named(second_config, tmp_path):
    gauge = second_config.sensor("thuoc_go_trung")
    assert gauge.alarm_levels is None and gauge.metrics["level"].thresholds.high == 1.0
    rules = compile_rules(second_config, START)
    conditions = {d.condition for d in rules.by_metric[("thuoc_go_trung", "level")]}
    assert "high" in conditions, conditions  # the commune's limits (high, high-high) alarm like any threshold

    text = (SITES / "lagoon_commune.toml").read_text(encoding="utf-8")
    bare = text.replace('[sensors.metrics.level.thresholds]\nhigh = 1.0\nhigh_high = 1.5\ndeadband = 0.05\n', "")
    bare = bare.replace('source = "ngưỡng do xã đặt (thử): thước nước của xã, không có mức báo động chính thức"\n', "", 1)
    assert bare != text and tomllib.loads(bare)
    path = tmp_path / "no_limits.toml"
    path.write_text(bare, encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert "sensors[2].alarm_levels" in str(error.value)


def test_the_lagoon_gauge_rises_past_its_limits_in_a_flood_and_sits_below_them_between():
    config = load_config(SITES / "lagoon_commune.toml")
    model = SiteModel(config, seed=7, start=START)
    gauge = model.sensor("thuoc_go_trung")
    levels = [gauge.sample(k * 60.0)["level"] for k in range(40 * 60)]
    assert levels[0] < 1.0  # calm: below the commune's high limit
    assert max(levels) > 1.5  # the flood takes it past high-high
    assert min(levels[-600:]) < 1.0  # and it recedes


def test_a_brackish_pond_stays_inside_its_salinity_limits_until_the_flood_freshens_it():
    config = load_config(SITES / "lagoon_commune.toml")
    model = SiteModel(config, seed=7, start=START)
    pond = model.sensor("ao_tom_go_trung")
    salinity = [(k / 60.0, pond.sample(k * 60.0)["salinity"]) for k in range(40 * 60)]
    calm = [s for t, s in salinity if model.flood_fraction(t - 1.0) == 0.0]
    assert calm and all(5.0 < s < 35.0 for s in calm), (min(calm), max(calm))  # no alarm on a calm day
    assert min(s for _t, s in salinity) < 5.0  # flood water freshens the pond past its lower limit


def test_the_lagoon_communes_bulletin_speaks_of_the_lagoon_not_of_a_river(second_config, make_core):
    core = make_core(second_config)
    text = core.flood.bulletins.compose().text
    assert "Nước đầm dâng do lũ và triều cường" in text and "chảy xiết" not in text
    assert "Cù Lác" in text  # the villages of the zone it warns


def test_the_lagoon_gauges_tile_says_which_of_the_communes_limits_it_is_past(qtbot, second_config):
    from controlroom.domain import Reading
    from controlroom.i18n import set_language
    from controlroom.ui.sensors.dashboard import SensorDashboard

    set_language("vi")
    now = START.timestamp()
    dashboard = SensorDashboard(second_config, now_fn=lambda: now)
    qtbot.addWidget(dashboard)
    tile = dashboard.tiles["sensor/thuoc_go_trung/level"]
    shown = []
    for level in (0.32, 1.0, 1.2, 1.7):  # calm; exactly at the limit (within it); past high; past high-high
        dashboard.apply_readings([Reading("thuoc_go_trung", "level", START, level)])
        shown.append((tile.level_label.text(), tile.next_label.text().replace("\u00a0", " ")))  # "0,68 m" kept on one line
    assert shown == [
        ("Trong ngưỡng của xã", "Còn 0,68 m đến ngưỡng của xã"),
        ("Trong ngưỡng của xã", "Đang ở ngưỡng của xã"),
        ("Vượt ngưỡng cảnh báo của xã", "Còn 0,30 m đến ngưỡng của xã"),
        ("Vượt ngưỡng nguy hiểm của xã", "Đã vượt mọi ngưỡng của xã"),
    ], shown
    assert "ngưỡng do xã đặt" in tile.toolTip()
