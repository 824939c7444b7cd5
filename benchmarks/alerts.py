"""Alert latency through the broker while ingesting 2,000 readings/s, and rule evaluation rate.

Starts a private Mosquitto on a free loopback port and one console (ControlRoomCore: MQTT feed,
SQLite storage writer, plus the AlertEngine). A load generator in a separate process publishes
2,000 readings/s (QoS 1) over 50 sensors that stay below their limits. Meanwhile a probe client
flips a probe sensor across its high limit every 200 ms; each flip is an alert state change
(raise / return). Latency = probe publish -> the new state visible in the engine's snapshot
(listener on the engine thread). Baseline, same run: the bare broker round trip of one QoS-1
message publisher -> subscriber, idle and under the same load. Then, without the broker: the
rate of rule evaluations (detectors fed directly) and of readings through the whole engine.

Goal: latency p99 under 250 ms end to end at 2,000 readings/s. Prints one JSON line last.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from bench_broker import start_broker

LOAD_SENSORS = 50
LOAD_RATE = 2000.0  # readings/s
PROBE_PERIOD_S = 0.2
PROBE_SECONDS = float(os.environ.get("ALERTS_BENCH_SECONDS", "30"))
ALERT_ID = "sensor.probe.level.high"
UTC = timezone.utc


def site_toml() -> str:
    parts = ["""
[site]
id = "bench"
name = "Bench"
map_center = [16.5, 107.5]

[[villages]]
id = "v1"
name = "V1"
lat = 16.5
lon = 107.5

[alerts]
flood_count = 1000000

[[sensors]]
id = "probe"
name = "Probe"
kind = "water_level"
village = "v1"
lat = 16.5
lon = 107.5
interval_s = 60
[sensors.alarm_levels]
level_1 = 100
level_2 = 200
level_3 = 300
source = "benchmark"
[sensors.metrics.level]
unit = "m"
[sensors.metrics.level.thresholds]
high = 10.0
"""]
    for i in range(LOAD_SENSORS):
        parts.append(f"""
[[sensors]]
id = "load{i:02d}"
name = "Load {i}"
kind = "water_quality"
village = "v1"
lat = 16.5
lon = 107.5
interval_s = 60
[sensors.metrics.value]
unit = "u"
[sensors.metrics.value.thresholds]
low = -1000
high = 1000
deadband = 1
""")
    return "".join(parts)


LOAD_SCRIPT = r"""
import json, sys, time
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
port, rate, sensors, seconds = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-load", protocol=mqtt.MQTTv5)
c.max_inflight_messages_set(1000)
c.connect("127.0.0.1", port); c.loop_start()
start = time.monotonic(); sent = 0; base_ms = int(time.time() * 1000)
while time.monotonic() - start < seconds:
    due = int((time.monotonic() - start) * rate)
    while sent < due:
        sensor = sent % sensors
        ts = base_ms + (sent // sensors) * 2  # distinct per sensor (the feed drops (sensor, ts) duplicates)
        c.publish(f"bench/sensor/load{sensor:02d}/reading", json.dumps({"ts": ts, "value": (sent % 97) * 1.0}), qos=1)
        sent += 1
    time.sleep(0.005)
time.sleep(1.0)
c.loop_stop(); c.disconnect()
print(sent)
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def broker_roundtrip(port: int, seconds: float, period_s: float = 0.02) -> list[float]:
    """QoS-1 publish -> subscriber receive on loopback, in ms."""
    sent: dict[int, float] = {}
    got: list[float] = []
    ready = threading.Event()
    sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-rt-sub", protocol=mqtt.MQTTv5)
    sub.on_connect = lambda c, *_: (c.subscribe("bench/rt", qos=1), ready.set())
    sub.on_message = lambda c, u, m: got.append((time.perf_counter() - sent[int(m.payload)]) * 1000)
    sub.connect("127.0.0.1", port)
    sub.loop_start()
    ready.wait(10)
    time.sleep(0.2)
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-rt-pub", protocol=mqtt.MQTTv5)
    pub.connect("127.0.0.1", port)
    pub.loop_start()
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        sent[i] = time.perf_counter()
        pub.publish("bench/rt", str(i), qos=1)
        i += 1
        time.sleep(period_s)
    time.sleep(0.5)
    for c in (pub, sub):
        c.loop_stop()
        c.disconnect()
    return got


def alert_latency(config, port: int, workdir: Path) -> dict:
    from controlroom.core import ControlRoomCore

    core = ControlRoomCore(config, db_url=f"sqlite:///{workdir / 'bench.sqlite3'}", broker_host="127.0.0.1",
                           broker_port=port, client_id="bench-console", data_dir=workdir / "a", monitor_cameras=False)
    published: dict[int, float] = {}
    on_bus: dict[int, float] = {}
    latencies: list[float] = []
    engine_latencies: list[float] = []  # bus (after broker + parse) -> visible: the engine's own share

    def on_reading(reading) -> None:
        if reading.sensor_id == "probe":
            on_bus[int(reading.ts.timestamp() * 1000)] = time.perf_counter()

    def on_snapshot(snapshot) -> None:
        alert = snapshot.get(ALERT_ID)
        if alert is None:
            return
        key = int(alert.changed_at.timestamp() * 1000)
        now = time.perf_counter()
        # every flip up to the visible one is done: shown, or superseded within the same batch
        for done in [k for k in list(published) if k <= key]:
            latencies.append((now - published.pop(done)) * 1000)
            if os.environ.get("ALERTS_BENCH_DEBUG") and latencies[-1] > 100:
                print(f"slow flip at +{now - t_start:.1f}s: {latencies[-1]:.0f} ms, feed {core.feed.stats.rate:.0f}/s",
                      file=sys.stderr)
        for done in [k for k in list(on_bus) if k <= key]:
            engine_latencies.append((now - on_bus.pop(done)) * 1000)

    t_start = time.perf_counter()
    from controlroom.domain import Reading

    core.bus.subscribe(Reading, on_reading)
    core.start()
    engine = core.alerts
    engine.add_listener(on_snapshot)
    deadline = time.monotonic() + 15
    while not core.feed.connected and time.monotonic() < deadline:
        time.sleep(0.05)

    load = subprocess.Popen([sys.executable, "-c", LOAD_SCRIPT, str(port), str(LOAD_RATE), str(LOAD_SENSORS),
                             str(PROBE_SECONDS + 14)], stdout=subprocess.PIPE, text=True)
    probe = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-probe", protocol=mqtt.MQTTv5)
    probe.connect("127.0.0.1", port)
    probe.loop_start()
    time.sleep(2.0)  # let the load reach its rate
    readings0, t0, cpu0 = core.feed.stats.readings, time.monotonic(), time.process_time()
    loaded_rt = []
    rt_thread = threading.Thread(target=lambda: loaded_rt.extend(broker_roundtrip(port, 8.0, 0.05)), name="bench-rt")
    rt_thread.start()
    end = time.monotonic() + PROBE_SECONDS
    base = datetime.now(UTC)
    flips = 0
    while time.monotonic() < end:
        ts = base + timedelta(milliseconds=int(flips * PROBE_PERIOD_S * 1000))
        value = 20.0 if flips % 2 == 0 else 5.0
        key = int(ts.timestamp() * 1000)
        published[key] = time.perf_counter()
        probe.publish("bench/sensor/probe/reading", json.dumps({"ts": key, "value": value}), qos=1)
        flips += 1
        time.sleep(PROBE_PERIOD_S)
    ingested = core.feed.stats.readings - readings0
    ingest_rate = ingested / (time.monotonic() - t0)
    cpu_us_per_reading = (time.process_time() - cpu0) / max(1, ingested) * 1e6
    rt_thread.join()
    time.sleep(1.0)
    probe.loop_stop()
    probe.disconnect()
    sent = int(load.communicate(timeout=60)[0].strip() or 0)
    time.sleep(1.0)
    stats = core.feed.stats
    ack_ms = ack_propagation(config, port, workdir, engine)
    core.stop()
    return {"cpu_us": cpu_us_per_reading, "ack_ms": ack_ms, "latencies": latencies, "engine_latencies": engine_latencies, "flips": flips, "ingest_rate": ingest_rate, "load_sent": sent,
            "readings_received": stats.readings, "rejects": sum(stats.rejects.values()), "loaded_rt": loaded_rt,
            "engine_counters": dict(engine.counters)}


def ack_propagation(config, port: int, workdir: Path, engine_a, rounds: int = 20) -> list[float]:
    """Acknowledge on console A -> shown acknowledged on console B (ms), after the load."""
    from controlroom.access.operators import Operator, Role
    from controlroom.alerts.model import Priority
    from controlroom.core import ControlRoomCore

    BENCH_OPERATOR = Operator("bench", "Bench", Role.OPERATOR)  # noqa: N806 - a constant of this run
    core_b = ControlRoomCore(config, db_url=f"sqlite:///{workdir / 'bench-b.sqlite3'}", broker_host="127.0.0.1",
                             broker_port=port, client_id="bench-console-b", data_dir=workdir / "b",
                             monitor_cameras=False)
    acked_at: dict[str, float] = {}
    waiting: dict[str, float] = {}

    def on_b(snapshot) -> None:
        for alert_id in list(waiting):
            alert = snapshot.get(alert_id)
            if alert is not None and alert.acked:
                acked_at[alert_id] = time.perf_counter() - waiting.pop(alert_id)

    core_b.start()
    engine_b = core_b.alerts
    engine_b.add_listener(on_b)
    try:
        deadline = time.monotonic() + 15
        while not core_b.feed.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        for i in range(rounds):
            alert_id = engine_a.raise_manual(BENCH_OPERATOR, f"ack round {i}", Priority.HIGH)
            deadline = time.monotonic() + 10
            while engine_b.snapshot().get(alert_id) is None and time.monotonic() < deadline:
                time.sleep(0.005)
            waiting[alert_id] = time.perf_counter()
            engine_a.acknowledge([alert_id], BENCH_OPERATOR)
            deadline = time.monotonic() + 10
            while alert_id not in acked_at and time.monotonic() < deadline:
                time.sleep(0.005)
    finally:
        core_b.stop()
    return [v * 1000 for v in acked_at.values()]


def rule_rates(config) -> dict:
    """Detectors fed directly (rules/s), then readings through a whole engine (no broker)."""
    from controlroom.alerts.engine import AlertEngine
    from controlroom.alerts.rules import compile_rules
    from controlroom.bus import EventBus
    from controlroom.domain import Reading

    start = datetime.now(UTC)
    rules = compile_rules(config, start)
    keys = [(f"load{i:02d}", "value") for i in range(LOAD_SENSORS)]
    n = 200_000
    evaluations = 0
    t = time.perf_counter()
    for i in range(n):
        for detector in rules.by_metric[keys[i % LOAD_SENSORS]]:
            detector.feed(start + timedelta(milliseconds=i), float(i % 97))
            evaluations += 1
    rules_per_s = evaluations / (time.perf_counter() - t)

    bus = EventBus()
    engine = AlertEngine(config, bus, console_id="bench")
    engine.start()
    readings = [Reading(k[0], "value", start + timedelta(milliseconds=i), float(i % 97)) for i, k in
                ((i, keys[i % LOAD_SENSORS]) for i in range(n))]
    t = time.perf_counter()
    for reading in readings:
        bus.publish(reading)
    while engine.counters["readings"] < n and time.perf_counter() - t < 120:
        time.sleep(0.01)
    engine_rate = engine.counters["readings"] / (time.perf_counter() - t)
    engine.stop()
    return {"rules_per_s": rules_per_s, "engine_readings_per_s": engine_rate}


def main() -> None:
    from controlroom.config import parse_config

    os.environ.setdefault("CONTROLROOM_DATA_DIR", tempfile.mkdtemp(prefix="bench-alerts-data-"))
    config = parse_config(site_toml(), "bench.toml")
    workdir = Path(tempfile.mkdtemp(prefix="bench-alerts-"))
    broker, port = start_broker(workdir)
    try:
        idle_rt = broker_roundtrip(port, 4.0)
        result = alert_latency(config, port, workdir)
    finally:
        broker.terminate()
        broker.wait(10)
    rates = rule_rates(config)
    lat = result["latencies"]
    p99 = percentile(lat, 99) if lat else float("nan")
    baseline_p99 = percentile(idle_rt, 99)
    out = {
        "name": "alerts",
        "latency_ms_p50": round(percentile(lat, 50), 2) if lat else None,
        "latency_ms_p99": round(p99, 2) if lat else None,
        "latency_ms_max": round(max(lat), 2) if lat else None,
        "latency_samples": len(lat),
        "engine_only_ms_p99": round(percentile(result["engine_latencies"], 99), 2) if result["engine_latencies"] else None,
        "probe_flips": result["flips"],
        "baseline_roundtrip_ms_p50": round(percentile(idle_rt, 50), 2),
        "baseline_roundtrip_ms_p99": round(baseline_p99, 2),
        "baseline_roundtrip_under_load_ms_p99": round(percentile(result["loaded_rt"], 99), 2) if result["loaded_rt"] else None,
        "ratio_p99": round(p99 / baseline_p99, 2) if lat and baseline_p99 > 0 else None,
        "ack_a_to_b_ms_p50": round(percentile(result["ack_ms"], 50), 2) if result["ack_ms"] else None,
        "ack_a_to_b_ms_p99": round(percentile(result["ack_ms"], 99), 2) if result["ack_ms"] else None,
        "ack_samples": len(result["ack_ms"]),
        "target_readings_per_s": LOAD_RATE,
        "ingest_readings_per_s": round(result["ingest_rate"]),
        "console_cpu_us_per_reading": round(result["cpu_us"], 1),  # whole console process (feed, storage, alerts)
        "load_average_1m": round(os.getloadavg()[0], 1),
        "load_sent": result["load_sent"],
        "readings_received": result["readings_received"],
        "lost": max(0, result["load_sent"] + result["flips"] - result["readings_received"]),
        "rejected": result["rejects"],
        "rules_per_s": round(rates["rules_per_s"]),
        "engine_readings_per_s": round(rates["engine_readings_per_s"]),
        "goal_p99_ms": 250,
        "goal_met": bool(lat) and p99 < 250 and result["ingest_rate"] >= 0.95 * LOAD_RATE,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
