"""One comparison at a limit for the tile, the map and the alert engine: a threshold is a
permissible value (exactly at it is within it, as QCVN 08:2023 words "DO ≥ 5", "NH4+ ≤ 0.3",
"pH 6.5–8.5"); a flood alarm level is reached at its height. Second commune, real rules."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from controlroom.alerts.rules import compile_rules
from controlroom.config import ThresholdConfig
from controlroom.alerts.model import Alert, Priority
from controlroom.alerts.text import alert_title
from controlroom.map.model import sensor_state, state_label
from controlroom.sensors.status import Limit, limit_state
from controlroom.sensors.water_level import exceeded_level

QCVN_08_2023 = [  # (limits, exactly at a limit, just beyond it, what "beyond" is)
    (ThresholdConfig(low=5.0), 5.0, 4.99, Limit.LOW),  # dissolved oxygen ≥ 5 mg/L
    (ThresholdConfig(high=0.3), 0.3, 0.31, Limit.HIGH),  # ammonium ≤ 0.3 mg/L
    (ThresholdConfig(low=6.5, high=8.5), 8.5, 8.51, Limit.HIGH),  # pH 6.5–8.5
    (ThresholdConfig(low=6.5, high=8.5), 6.5, 6.49, Limit.LOW),
]


@pytest.mark.parametrize("limits, at, beyond, state", QCVN_08_2023)
def test_a_tile_calls_a_value_at_a_qcvn_limit_within_it(limits, at, beyond, state):
    assert limit_state(at, limits) is Limit.OK
    assert limit_state(beyond, limits) is state


def test_tile_map_and_engine_agree_at_and_past_a_threshold(second_config):
    pond = second_config.sensor("ao_tom_1")
    low, low_low = pond.metrics["do"].thresholds.low, pond.metrics["do"].thresholds.low_low
    rules = compile_rules(second_config, datetime.now(timezone.utc))
    detector = next(d for d in rules.by_metric[(pond.id, "do")] if d.condition == "low")
    t0 = datetime.now(timezone.utc)
    on_delay = detector.tracker.on_delay

    def engine_band(value: float, k: int) -> int:
        ts = t0 + k * (on_delay + timedelta(seconds=1))
        detector.feed(ts, value)
        detector.tick(ts + on_delay + timedelta(seconds=1))
        return detector.tracker.confirmed or 0

    for k, (value, tile, band) in enumerate([(low, Limit.OK, 0), (low - 0.01, Limit.LOW, 1),
                                             (low_low, Limit.LOW, 1), (low_low - 0.01, Limit.LOW_LOW, 2)]):
        assert limit_state(value, pond.metrics["do"].thresholds) is tile, value
        assert sensor_state(pond, {"do": value})[0] == {0: "normal", 1: "warning", 2: "alarm"}[band], value
        assert engine_band(value, k) == band, value


def test_an_alarm_level_is_reached_at_its_height(second_config):
    gauge = next(s for s in second_config.sensors if s.kind == "water_level")
    levels = gauge.alarm_levels
    rules = compile_rules(second_config, datetime.now(timezone.utc))
    detector = next(d for d in rules.by_metric[(gauge.id, "level")] if d.kind == "alarm_level")
    ts = datetime.now(timezone.utc)
    detector.feed(ts, levels.level_2)
    detector.tick(ts + detector.tracker.on_delay + timedelta(seconds=1))
    assert exceeded_level(levels.level_2, levels) == 2
    assert not levels.official  # a lagoon gauge's own marks: the map says so, not "mức báo động II"
    assert sensor_state(gauge, {"level": levels.level_2})[0] == "mark_2"
    assert state_label("mark_2") == "mốc II của xã"
    now = datetime.now(timezone.utc)
    alert = Alert("a", f"sensor/{gauge.id}/level", "alarm_level", "alarm_level", Priority.HIGH, gauge.village, True, False,
                  now, now, value=levels.level_2, limit=levels.level_2, band=2, detail=dict(detector.target.detail))
    assert alert_title(alert) == f"Nước vượt mốc II của xã tại {gauge.name}"  # not "Báo động lũ cấp II"
    assert detector.tracker.confirmed == 2
