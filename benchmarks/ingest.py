"""End-to-end ingest: MQTT readings persisted in SQLite per second, against a bare subscriber.

Starts a private Mosquitto on loopback (max_queued_messages 0, so nothing is dropped), then
runs the same flood twice, each from separate publisher PROCESSES (spawn, so it also runs on
Windows) publishing multi-metric QoS-1 readings for many sensors:
  1. baseline: a bare paho subscriber (MQTT 5, QoS 1) that only counts messages;
  2. ours: MqttFeed -> PayloadParser -> EventBus -> StorageWriter (SQLite WAL), timed until
     every reading is committed; rows are counted in the database at the end (lost = published
     - stored).
Prints one JSON line last. Run: /opt/crvenv/bin/python benchmarks/ingest.py [--messages N]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import getpass
import socket
import subprocess
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

METRICS = ("pm25", "pm10", "o3", "co", "so2", "no2")
PREFIX = "quangtho"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_broker(workdir: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    conf = workdir / "mosquitto.conf"
    user = f"user {getpass.getuser()}\n" if os.name == "posix" else ""
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\n{user}"
        "max_queued_messages 0\nmax_inflight_messages 0\nlog_dest none\n"
    )
    proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("mosquitto did not start")


def sensor_ids(count: int) -> list[str]:
    return [f"aq_bench_{i:03d}" for i in range(count)]


def publisher_process(port: int, sensors: list[str], messages: int, base_ms: int, go, done_queue) -> None:
    """Publish `messages` QoS-1 readings round-robin over `sensors`, wait for every PUBACK."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{os.getpid()}", protocol=mqtt.MQTTv5)
    client.max_inflight_messages_set(1000)
    client.connect("127.0.0.1", port)
    client.loop_start()
    payloads = []
    for k in range(messages):
        sensor = sensors[k % len(sensors)]
        ts = base_ms + k // len(sensors)
        values = {m: round(10.0 + (k * 7 + j) % 400 * 0.25, 2) for j, m in enumerate(METRICS)}
        payloads.append((f"{PREFIX}/sensor/{sensor}/reading", json.dumps({"ts": ts, "values": values}).encode()))
    go.wait()
    last = None
    for topic, payload in payloads:
        last = client.publish(topic, payload, qos=1)
    # every message acked by the broker before we leave (publish order == ack order in paho)
    while len(client._out_messages) > 0:  # noqa: SLF001 - paho has no public "all acked"
        time.sleep(0.01)
    last.wait_for_publish(60)
    client.disconnect()
    client.loop_stop()
    done_queue.put(messages)


class Flood:
    """Publisher processes that wait for `go`, then publish as fast as they can."""

    def __init__(self, port: int, processes: int, messages: int, sensors: list[str], base_ms: int) -> None:
        ctx = mp.get_context("spawn")
        self.go = ctx.Event()
        self.done = ctx.Queue()
        per = messages // processes
        share = len(sensors) // processes
        self.procs = [
            ctx.Process(
                target=publisher_process,
                args=(port, sensors[i * share:(i + 1) * share], per, base_ms, self.go, self.done),
                name=f"bench-publisher-{i}",
            )
            for i in range(processes)
        ]
        self.messages = per * processes
        for proc in self.procs:
            proc.start()
        time.sleep(1.5)  # let the spawned interpreters import and build payloads

    def release(self) -> float:
        self.go.set()
        return time.monotonic()

    def join(self) -> None:
        for _ in self.procs:
            self.done.get(timeout=600)
        for proc in self.procs:
            proc.join(30)


def v5_connect_properties() -> Properties:
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 0  # the session ends with the connection: next rounds start clean
    props.ReceiveMaximum = 500  # as the feed announces
    return props


def drop_session(port: int, client_id: str) -> None:
    """End a persistent session we no longer need, so the broker stops queueing for it."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    client.connect("127.0.0.1", port, clean_start=True, properties=v5_connect_properties())
    client.loop_start()
    deadline = time.monotonic() + 10
    while not client.is_connected() and time.monotonic() < deadline:
        time.sleep(0.01)
    client.disconnect()
    client.loop_stop()


def run_baseline(port: int, args, sensors: list[str], base_ms: int, round_no: int) -> dict:
    count = 0
    last_at = 0.0
    lock = threading.Lock()
    subscribed = threading.Event()

    def on_message(client, userdata, message) -> None:
        nonlocal count, last_at
        with lock:
            count += 1
            last_at = time.monotonic()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-bare-sub-{round_no}", protocol=mqtt.MQTTv5)
    client.on_message = on_message
    client.on_subscribe = lambda *a: subscribed.set()
    client.connect("127.0.0.1", port, clean_start=True, properties=v5_connect_properties())
    client.subscribe(f"{PREFIX}/sensor/+/reading", qos=1)
    client.loop_start()
    subscribed.wait(30)
    flood = Flood(port, args.processes, args.messages, sensors, base_ms)
    cpu0 = time.process_time()
    t0 = flood.release()
    flood.join()
    deadline = time.monotonic() + 300
    while count < flood.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    cpu = time.process_time() - cpu0
    client.disconnect()
    client.loop_stop()
    seconds = last_at - t0
    readings = count * len(METRICS)
    return {"messages": count, "seconds": seconds, "readings_per_s": readings / seconds, "readings_per_cpu_s": readings / cpu}


def run_ours(port: int, args, sensors: list[str], base_ms: int, workdir: Path, round_no: int) -> dict:
    from sqlalchemy import text

    from controlroom.bus import EventBus
    from controlroom.config import MetricConfig, SensorConfig, demo_config_path, load_config
    from controlroom.mqtt_feed import MqttFeed
    from controlroom.storage.db import create_engine_for, migrate
    from controlroom.storage.writer import StorageWriter

    demo = load_config(demo_config_path())
    metrics = {m: MetricConfig(unit="µg/m³", valid_min=0, valid_max=5000) for m in METRICS}
    bench_sensors = [
        SensorConfig(id=s, name=s, kind="air_quality", lat=16.53, lon=107.53, metrics=metrics) for s in sensors
    ]
    config = demo.model_copy(update={"sensors": bench_sensors})
    engine = create_engine_for(f"sqlite:///{(workdir / 'ingest.sqlite3').as_posix()}")
    migrate(engine)
    bus = EventBus()
    writer = StorageWriter(engine, bus, site_id=config.site.id, database=config.database)
    writer.start()
    feed = MqttFeed(config, bus, host="127.0.0.1", port=port, client_id=f"bench-console-{round_no}")
    feed.start()
    if not feed.wait_subscribed(30):
        raise SystemExit("feed did not subscribe")
    flood = Flood(port, args.processes, args.messages, sensors, base_ms)
    expected = flood.messages * len(METRICS)
    cpu0 = time.process_time()
    t0 = flood.release()
    flood.join()
    published_at = time.monotonic()
    deadline = time.monotonic() + 600
    received_at = None  # when the feed had every reading on the bus (stored or not)
    while writer.stats.rows_written < expected and time.monotonic() < deadline:
        time.sleep(0.05)  # polling stats costs the GIL: keep it rare (+-50 ms on the result)
        if received_at is None and feed.stats.readings >= expected:
            received_at = time.monotonic()
    t1 = time.monotonic()
    cpu = time.process_time() - cpu0
    received_at = received_at or t1
    feed_stats = feed.stats
    feed.stop()
    drop_session(port, feed.client_id)
    writer.stop()
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT count(*) FROM readings")).scalar_one()
    engine.dispose()
    seconds = t1 - t0
    return {
        "messages": feed_stats.received,
        "seconds": seconds,
        "publish_seconds": published_at - t0,
        "feed_seconds": received_at - t0,
        "readings_per_s": stored / seconds,
        "readings_per_cpu_s": stored / cpu,
        "published": expected,
        "stored": stored,
        "rejects": sum(feed_stats.rejects.values()),
        "duplicates": feed_stats.duplicates,
        "producer_waits": writer.stats.producer_waits,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000, help="messages per run (6 readings each)")
    parser.add_argument("--processes", type=int, default=2, help="publisher processes")
    parser.add_argument("--sensors", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2, help="interleaved baseline/ours rounds; best of each")
    args = parser.parse_args()
    sensors = sensor_ids(args.sensors)
    base_ms = int((datetime.now(timezone.utc) - timedelta(days=1)).timestamp() * 1000)
    baselines, runs = [], []
    with tempfile.TemporaryDirectory(prefix="ingest-bench-") as tmp:
        workdir = Path(tmp)
        proc, port = start_broker(workdir)
        try:
            for round_no in range(args.rounds):  # interleaved, so load spikes hit both sides
                baselines.append(run_baseline(port, args, sensors, base_ms + round_no * 10_000_000, round_no))
                round_dir = workdir / f"round{round_no}"
                round_dir.mkdir()
                runs.append(run_ours(port, args, sensors, base_ms + round_no * 10_000_000, round_dir, round_no))
        finally:
            proc.terminate()
            proc.wait(10)
    # best of the rounds on each side: on a shared machine the best run is the least disturbed
    baseline = max(baselines, key=lambda r: r["readings_per_s"])
    ours = max(runs, key=lambda r: r["readings_per_s"])
    best_cpu_baseline = max(r["readings_per_cpu_s"] for r in baselines)
    best_cpu_ours = max(r["readings_per_cpu_s"] for r in runs)
    result = {
        "name": "ingest",
        "readings_per_s": round(ours["readings_per_s"]),
        "baseline_readings_per_s": round(baseline["readings_per_s"]),
        "ratio": round(ours["readings_per_s"] / baseline["readings_per_s"], 3),
        "lost": sum(r["published"] - r["stored"] for r in runs),
        # CPU-time view (this process only; publishers excluded): steadier on a loaded machine
        "readings_per_cpu_s": round(best_cpu_ours),
        "baseline_readings_per_cpu_s": round(best_cpu_baseline),
        "cpu_ratio": round(best_cpu_ours / best_cpu_baseline, 3),
        "rounds": args.rounds,
        "all_readings_per_s": [round(r["readings_per_s"]) for r in runs],
        "all_baseline_readings_per_s": [round(r["readings_per_s"]) for r in baselines],
        "published": sum(r["published"] for r in runs),
        "stored": sum(r["stored"] for r in runs),
        "seconds": round(ours["seconds"], 2),
        "baseline_seconds": round(baseline["seconds"], 2),
        "publish_seconds": round(ours["publish_seconds"], 2),
        "feed_seconds": round(ours["feed_seconds"], 2),
        "messages_per_run": args.messages,
        "values_per_message": len(METRICS),
        "publisher_processes": args.processes,
        "sensors": args.sensors,
        "qos": 1,
        "database": "sqlite-wal",
        "feed_rejects": ours["rejects"],
        "feed_duplicates": ours["duplicates"],
        "writer_producer_waits": ours["producer_waits"],
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
