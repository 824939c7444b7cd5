"""The simulator over a real broker: payloads per the MQTT contract, retained statuses,
Last Will on outages and stop, deterministic series, clean shutdown."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone

import pytest

from controlroom.feeds.payloads import PayloadParser
from controlroom.sim.simulator import Simulator, run_simulator

from .conftest import wait_until

START = datetime(2026, 11, 20, 17, 0, tzinfo=timezone.utc)


@pytest.fixture
def simulators():
    made: list[Simulator] = []

    def make(*args, **kwargs) -> Simulator:
        simulator = Simulator(*args, **kwargs)
        made.append(simulator)
        return simulator

    yield make
    for simulator in made:
        simulator.stop()


def _sim_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith(("sim-", "paho-mqtt-client-sim-"))]


def test_every_configured_sensor_publishes_contract_payloads(mqtt_broker, sim_config, listeners, simulators):
    listener = listeners(mqtt_broker.host, mqtt_broker.port, f"{sim_config.topic_prefix}/#")
    sim = simulators(sim_config, mqtt_broker.host, mqtt_broker.port, seed=1, time_scale=600.0, start=START,
                     device_outages=False)
    sim.start()
    wanted = {s.id for s in sim_config.sensors}
    wait_until(lambda: {t.split("/")[2] for t, _ in listener.json("/sensor/")} >= wanted and len(listener.json("/sensor/")) >= 5 * len(wanted),
               message="readings from every sensor")
    parser = PayloadParser(sim_config, max_clock_skew=timedelta(days=365))  # simulated time runs ahead
    received_at = datetime.now(timezone.utc)
    readings = 0
    for topic, payload, _ in listener.snapshot("/sensor/"):
        sensor = sim_config.sensor(topic.split("/")[2])
        data = json.loads(payload)
        datetime.fromisoformat(data["ts"])
        if len(sensor.metrics) == 1:
            assert set(data) == {"ts", "value"} and isinstance(data["value"], float)
        else:
            assert set(data) == {"ts", "values"} and set(data["values"]) == set(sensor.metrics)
        readings += len(parser.parse(topic, payload, received_at))
    assert readings > 0
    wait_until(lambda: listener.snapshot("/report/"), message="a citizen report")
    others = [m for m in listener.snapshot() if "/sensor/" not in m[0]]
    kinds = {topic.split("/")[1] for topic, _, _ in others}
    assert {"device", "speaker", "report"} <= kinds
    for topic, payload, _ in others:
        assert parser.parse(topic, payload, received_at)
    assert sum(parser.rejects.values()) == 0, parser.rejects


def test_wall_clock_timestamps_pass_the_default_parser(mqtt_broker, sim_config, listeners, simulators):
    listener = listeners(mqtt_broker.host, mqtt_broker.port, f"{sim_config.topic_prefix}/sensor/#")
    sim = simulators(sim_config, mqtt_broker.host, mqtt_broker.port, seed=1, time_scale=3600.0,
                     device_outages=False, timestamps="wall")
    sim.start()
    wait_until(lambda: len(listener.snapshot()) >= 200, message="200 readings")
    parser = PayloadParser(sim_config)
    now = datetime.now(timezone.utc)
    for topic, payload, _ in listener.snapshot():
        parser.parse(topic, payload, now)
    assert sum(parser.rejects.values()) == 0, parser.rejects


def test_device_and_speaker_statuses_are_retained_and_marked_offline_on_stop(mqtt_broker, sim_config, listeners, simulators):
    prefix = sim_config.topic_prefix
    first = listeners(mqtt_broker.host, mqtt_broker.port, f"{prefix}/+/+/status")
    sim = simulators(sim_config, mqtt_broker.host, mqtt_broker.port, seed=2, time_scale=60.0, device_outages=False)
    sim.start()
    devices = {s.status_device_id for s in sim_config.sensors}
    speakers = {s.id for s in sim_config.speakers}
    wait_until(lambda: len({t for t, _, _ in first.snapshot()}) >= len(devices) + len(speakers), message="statuses")
    late = listeners(mqtt_broker.host, mqtt_broker.port, f"{prefix}/+/+/status")  # joins after: gets retained
    wait_until(lambda: len({t for t, _, retain in late.snapshot() if retain}) >= len(devices) + len(speakers),
               message="retained statuses")
    retained = {t: p for t, p, retain in late.snapshot() if retain}
    assert all(retained[f"{prefix}/device/{d}/status"] == b"online" for d in devices)
    for speaker_id in speakers:
        status = json.loads(retained[f"{prefix}/speaker/{speaker_id}/status"])
        expected = "offline" if speaker_id in sim.speakers.offline_ids else "fault" if speaker_id in sim.speakers.fault_ids else "idle"
        assert status["state"] == expected and status["job"] is None
    assert sim.speakers.offline_ids, "the demo has a few offline speakers"

    sim.stop()
    assert _sim_threads() == []
    after = listeners(mqtt_broker.host, mqtt_broker.port, f"{prefix}/+/+/status")
    wait_until(lambda: len(after.snapshot()) >= len(devices) + len(speakers), message="retained statuses after stop")
    for topic, payload, retain in after.snapshot():
        assert retain
        if "/device/" in topic:
            assert payload == b"offline"  # the Last Will, fired by the broker
        else:
            assert json.loads(payload)["state"] == "offline"


def test_a_device_outage_fires_its_last_will_and_it_comes_back(mqtt_broker, sim_config, listeners, simulators):
    prefix = sim_config.topic_prefix
    listener = listeners(mqtt_broker.host, mqtt_broker.port, f"{prefix}/device/+/status")
    sim = simulators(sim_config, mqtt_broker.host, mqtt_broker.port, seed=3, time_scale=3600.0, start=START,
                     outage_earliest_h=0.5, outage_mean_between_h=1.0, reports=False)
    sim.start()

    def dropped_and_back() -> bool:
        seen: dict[str, list[bytes]] = {}
        for topic, payload, _ in listener.snapshot():
            seen.setdefault(topic, []).append(payload)
        return any(b"offline" in states and states[-1] == b"online" and states.index(b"offline") > 0
                   for states in seen.values())

    wait_until(dropped_and_back, message="a device going offline and back online")
    assert sim.stats["outages"] >= 1


def test_same_seed_publishes_identical_readings(mqtt_broker, sim_config, listeners, simulators):
    series = []
    for run in range(2):
        listener = listeners(mqtt_broker.host, mqtt_broker.port, f"{sim_config.topic_prefix}/sensor/#")
        sim = simulators(sim_config, mqtt_broker.host, mqtt_broker.port, seed=9, time_scale=1800.0, start=START,
                         device_outages=False, reports=False)
        sim.start()
        wait_until(lambda: len(listener.snapshot()) >= 150, message="150 readings")
        sim.stop()
        series.append({(t, json.loads(p)["ts"]): p for t, p, _ in listener.snapshot()})
    common = series[0].keys() & series[1].keys()
    assert len(common) >= 100
    assert all(series[0][key] == series[1][key] for key in common)


def test_citizen_reports_are_vietnamese_and_inside_the_commune(mqtt_broker, sim_config, listeners, simulators):
    listener = listeners(mqtt_broker.host, mqtt_broker.port, f"{sim_config.topic_prefix}/report/+")
    sim = simulators(sim_config, mqtt_broker.host, mqtt_broker.port, seed=4, time_scale=7200.0, start=START,
                     device_outages=False, reports_at_human_pace=False)
    sim.start()
    wait_until(lambda: len(listener.snapshot()) >= 5, message="5 citizen reports")
    parser = PayloadParser(sim_config, max_clock_skew=timedelta(days=365))
    lats = [v.lat for v in sim_config.villages]
    lons = [v.lon for v in sim_config.villages]
    names = [v.name for v in sim_config.villages]
    for topic, payload, _ in listener.snapshot():
        (report,) = parser.parse(topic, payload, datetime.now(timezone.utc))
        assert report.category and report.reporter
        assert any(name in report.text for name in names)
        assert min(lats) - 0.01 < report.lat < max(lats) + 0.01 and min(lons) - 0.01 < report.lon < max(lons) + 0.01
    assert sum(parser.rejects.values()) == 0


def test_run_simulator_returns_after_its_duration_and_leaves_no_threads(mqtt_broker, sim_config):
    lines: list[str] = []
    stats = run_simulator(sim_config, mqtt_broker.host, mqtt_broker.port, seed=5, time_scale=600.0,
                          duration_s=2.0, echo=lines.append, status_every_s=0.5)
    assert stats["readings"] > 0
    assert any("wl_phu_oc" in line for line in lines)
    assert _sim_threads() == []


def test_mqtt_311_broker_with_login_gets_readings_statuses_and_outages(sim_config, listeners, simulators):
    """The demo's embedded fallback broker (amqtt) speaks 3.1.1 only and wants a login."""
    from controlroom.feeds.broker import EmbeddedBroker

    from ..conftest import free_port

    broker = EmbeddedBroker(free_port())
    broker.start()
    try:
        prefix = sim_config.topic_prefix
        listener = listeners("127.0.0.1", broker.port, f"{prefix}/#", protocol="v311", username="room")
        sim = simulators(sim_config, "127.0.0.1", broker.port, seed=3, time_scale=300.0, start=START,
                         outage_earliest_h=0.05, outage_mean_between_h=0.3, reports=False,
                         protocol="v311", username="sim", password="secret")
        sim.start()
        assert sim.wait_connected(30)
        wait_until(lambda: {t.split("/")[2] for t, _ in listener.json("/sensor/")} >= {s.id for s in sim_config.sensors},
                   message="readings from every sensor")
        wait_until(lambda: any(p == b"offline" for _, p, _ in listener.snapshot("/device/")), message="a device outage")
        wait_until(lambda: len({t for t, _, _ in listener.snapshot("/speaker/")}) >= len(sim_config.speakers),
                   message="every speaker's status")
        sim.stop()
        assert _sim_threads() == []
    finally:
        broker.stop()


def test_feeds_resume_after_a_broker_restart(mqtt_broker, sim_config, listeners, simulators):
    prefix = sim_config.topic_prefix
    sim = simulators(sim_config, mqtt_broker.host, mqtt_broker.port, seed=8, time_scale=600.0,
                     device_outages=False, reports=False)
    sim.start()
    assert sim.wait_connected(30)
    mqtt_broker.restart()
    listener = listeners(mqtt_broker.host, mqtt_broker.port, f"{prefix}/#")
    wait_until(lambda: len(listener.snapshot("/sensor/")) >= 20, message="readings after the restart")
    assert sim.wait_connected(30)
    speaker = next(s for s in sim.speakers.ids if s not in sim.speakers.offline_ids | sim.speakers.fault_ids)
    listener.publish(f"{prefix}/speaker/{speaker}/cmd", {"job": "after-restart", "action": "volume", "volume": 40})
    wait_until(lambda: any(json.loads(p)["job"] == "after-restart" for _, p, _ in listener.snapshot(f"/speaker/{speaker}/ack")),
               message="the hub answering commands after the restart")
