"""A demo started again on the data of an earlier run goes on with the river where that run left
it: started from calm under the stored flood, its graphs and trends showed a cliff the river never
made."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from controlroom.sim.models import SiteModel
from controlroom.sim.simulator import Simulator, resumed_clock

from .conftest import wait_until

T0 = datetime(2026, 11, 20, 17, 0, tzinfo=timezone.utc)


def test_the_clock_file_keeps_simulated_zero_across_starts(tmp_path):
    path = tmp_path / "clock.json"
    first = resumed_clock(path, 60.0, now=T0)
    assert first == {"start": T0, "resume_at_s": 0.0}
    again = resumed_clock(path, 60.0, now=T0 + timedelta(minutes=10))
    assert again == {"start": T0, "resume_at_s": 600.0 * 60.0}


def test_a_broken_or_future_clock_file_starts_a_new_clock(tmp_path):
    path = tmp_path / "clock.json"
    path.write_text("{not json", encoding="utf-8")
    assert resumed_clock(path, 60.0, now=T0) == {"start": T0, "resume_at_s": 0.0}
    assert datetime.fromisoformat(json.loads(path.read_text(encoding="utf-8"))["origin"]) == T0
    path.write_text(json.dumps({"origin": (T0 + timedelta(days=1)).isoformat()}), encoding="utf-8")
    assert resumed_clock(path, 60.0, now=T0) == {"start": T0, "resume_at_s": 0.0}


def test_a_resumed_simulator_publishes_the_river_where_it_was(mqtt_broker, sim_config, listeners, tmp_path):
    gauge = next(s for s in sim_config.sensors if s.kind == "water_level" and s.alarm_levels is not None)
    metric = next(iter(gauge.metrics))
    resumed_clock(tmp_path / "clock.json", 60.0, now=T0)
    clock = resumed_clock(tmp_path / "clock.json", 60.0, now=T0 + timedelta(minutes=10))  # 10 simulated hours on
    model = SiteModel(sim_config, seed=3, start=T0).sensor(gauge.id)
    calm, in_flood = model.sample(0.0)[metric], model.sample(clock["resume_at_s"])[metric]
    assert in_flood - calm > 1.0  # the scenario's first flood is on by then: the test can tell them apart

    listener = listeners(mqtt_broker.host, mqtt_broker.port, f"{sim_config.topic_prefix}/sensor/{gauge.id}/reading")
    sim = Simulator(sim_config, mqtt_broker.host, mqtt_broker.port, seed=3, time_scale=60.0, timestamps="wall",
                    device_outages=False, reports=False, **clock)
    try:
        sim.start()
        wait_until(lambda: listener.json("/reading"), message="the gauge's first reading")
    finally:
        sim.stop()
    _, first = listener.json("/reading")[0]
    assert abs(first["value"] - in_flood) < 0.05, (first, in_flood, calm)
