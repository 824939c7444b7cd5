"""End-to-end ingest: MQTT readings persisted in SQLite per second, against a bare subscriber.

Starts a private Mosquitto on loopback (max_queued_messages 0, so nothing is dropped), then
runs the same flood twice, each from separate publisher PROCESSES (spawn, so it also runs on
Windows) publishing multi-metric QoS-1 readings for many sensors:
  1. baseline: a bare paho subscriber (MQTT 5, QoS 1) that only counts messages;
  2. ours: MqttFeed -> PayloadParser -> EventBus -> StorageWriter (SQLite WAL), timed until
     every reading is committed; rows are counted in the database at the end (lost = published
     - stored).
In the same process the console's Qt side runs offscreen while "ours" floods: the real
CoreBridge on the core's bus feeding the real ReadingsTable (shown, painted), LiveState, and a
probe QTimer every 10 ms recording how late it fires: gui_latency_ms_p99 / _max (goal: 50 ms;
the GUI thread is the benchmark's main thread, so it also competes for the GIL with the feed
and writer threads, as in the app). --no-gui leaves the Qt side out. --rate R paces the
publishers to R readings/s in total (e.g. --rate 20000 --messages 33333: ten seconds at the goal
rate) instead of flooding flat out, which shows the GUI at a sustained rate.
Prints one JSON line last. Run: /opt/crvenv/bin/python benchmarks/ingest.py [--messages N] [--rate R]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from bench_broker import publish_all, start_broker
from gui_probe import GuiSide, LatencyProbe, idle_gui_latency, run_gui_until

METRICS = ("pm25", "pm10", "o3", "co", "so2", "no2")
PREFIX = "quangtho"


def sensor_ids(count: int) -> list[str]:
    return [f"aq_bench_{i:03d}" for i in range(count)]


def publisher_process(port: int, sensors: list[str], messages: int, base_ms: int, go, done_queue,
                      messages_per_s: float = 0.0, prefix: str = PREFIX) -> None:
    """Publish `messages` QoS-1 readings round-robin over `sensors` (paced if `messages_per_s`), wait for every PUBACK."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{os.getpid()}", protocol=mqtt.MQTTv5)
    client.max_inflight_messages_set(1000)
    client.connect("127.0.0.1", port)
    client.loop_start()
    payloads = []
    for k in range(messages):
        sensor = sensors[k % len(sensors)]
        ts = base_ms + k // len(sensors)
        values = {m: round(10.0 + (k * 7 + j) % 400 * 0.25, 2) for j, m in enumerate(METRICS)}
        payloads.append((f"{prefix}/sensor/{sensor}/reading", json.dumps({"ts": ts, "values": values}).encode()))
    go.wait()
    publish_all(client, payloads, messages_per_s)
    client.disconnect()
    client.loop_stop()
    done_queue.put(messages)


class Flood:
    """Publisher processes that wait for `go`, then publish as fast as they can (or at `readings_per_s`)."""

    def __init__(self, port: int, processes: int, messages: int, sensors: list[str], base_ms: int,
                 readings_per_s: float = 0.0, prefix: str = PREFIX) -> None:
        ctx = mp.get_context("spawn")
        self.go = ctx.Event()
        self.done = ctx.Queue()
        per = messages // processes
        share = len(sensors) // processes
        self.procs = [
            ctx.Process(
                target=publisher_process,
                args=(port, sensors[i * share:(i + 1) * share], per, base_ms, self.go, self.done,
                      readings_per_s / len(METRICS) / processes, prefix),
                name=f"bench-publisher-{i}",
            )
            for i in range(processes)
        ]
        self.messages = per * processes
        self.plans = [(sensors[i * share:(i + 1) * share], per, base_ms) for i in range(processes)]
        for proc in self.procs:
            proc.start()
        time.sleep(1.5)  # let the spawned interpreters import and build payloads

    def last_messages(self) -> list[tuple[str, int]]:
        """(sensor, ts_ms) of each publisher's last message (see publisher_process)."""
        return [(sensors[(per - 1) % len(sensors)], base_ms + (per - 1) // len(sensors)) for sensors, per, base_ms in self.plans]

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


def run_baseline(port: int, args, sensors: list[str], base_ms: int, round_no: int, prefix: str = PREFIX) -> dict:
    """A bare paho subscriber that only counts a flood on `prefix`'s reading topics."""
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
    client.subscribe(f"{prefix}/sensor/+/reading", qos=1)
    client.loop_start()
    subscribed.wait(30)
    flood = Flood(port, args.processes, args.messages, sensors, base_ms, args.rate, prefix)
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
    from controlroom.feeds.mqtt_feed import MqttFeed
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
    feed.acknowledge_after(writer)  # as the core runs it: a message is acknowledged once stored
    feed.start()
    if not feed.wait_subscribed(30):
        raise SystemExit("feed did not subscribe")
    gui = GuiSide(config, bus, args.fixed_columns) if args.gui else None
    flood = Flood(port, args.processes, args.messages, sensors, base_ms, args.rate)
    expected = flood.messages * len(METRICS)
    published = threading.Event()
    published_at = 0.0
    received_at = None  # when the feed had every reading on the bus (stored or not)

    def wait_published() -> None:
        nonlocal published_at
        flood.join()
        published_at = time.monotonic()
        published.set()

    def all_stored() -> bool:
        nonlocal received_at
        if received_at is None and feed.stats.readings >= expected:
            received_at = time.monotonic()
        return published.is_set() and writer.stats.rows_written >= expected

    joiner = threading.Thread(target=wait_published, name="bench-flood-join")
    probe = LatencyProbe() if gui else None
    cpu0 = time.process_time()
    threads0 = thread_cpu()
    t0 = flood.release()
    joiner.start()
    if gui:
        probe.start()
        run_gui_until(all_stored, 600)
        probe.stop()
    else:
        deadline = time.monotonic() + 600
        while not all_stored() and time.monotonic() < deadline:
            time.sleep(0.05)  # polling stats costs the GIL: keep it rare (+-50 ms on the result)
    t1 = time.monotonic()
    cpu = time.process_time() - cpu0
    threads = {name: round(v - threads0.get(name, 0.0), 2) for name, v in thread_cpu().items()}
    joiner.join(60)
    gui_delivered = 0
    if gui:
        run_gui_until(lambda: gui.bridge.backlog() == 0, 10)
        gui.bridge.drain()
        gui_delivered = gui.bridge.delivered["Reading"]
        gui.close()
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
        "cpu_seconds": cpu,
        "thread_cpu_seconds": threads,
        "gui": probe.summary() if probe else None,
        "gui_readings_delivered": gui_delivered,
    }


def thread_cpu() -> dict[str, float]:
    """CPU seconds per live Python thread of this process, by thread name (Unix only)."""
    result: dict[str, float] = {}
    if not hasattr(time, "pthread_getcpuclockid"):
        return result
    for thread in threading.enumerate():
        try:
            clock = time.pthread_getcpuclockid(thread.ident)
            result[thread.name] = result.get(thread.name, 0.0) + time.clock_gettime(clock)
        except (OSError, TypeError):  # the thread ended meanwhile
            continue
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000, help="messages per run (6 readings each)")
    parser.add_argument("--processes", type=int, default=2, help="publisher processes")
    parser.add_argument("--sensors", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2, help="interleaved baseline/ours rounds; best of each")
    parser.add_argument("--rate", type=float, default=0.0,
                        help="readings/s offered in total (0: as fast as the publishers can)")
    parser.add_argument("--no-gui", dest="gui", action="store_false", help="leave the offscreen Qt side out")
    parser.add_argument(
        "--fixed-columns", action="store_true",
        help="diagnosis: switch the table's ResizeToContents columns to fixed widths",
    )
    parser.add_argument(
        "--switch-interval-ms", type=float, default=None,
        help="diagnosis: sys.setswitchinterval (the GIL hand-off wait the GUI thread pays per Python call)",
    )
    args = parser.parse_args()
    if args.switch_interval_ms is not None:
        sys.setswitchinterval(args.switch_interval_ms / 1000.0)
    load_start = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    cpu_start = time.process_time()
    idle_gui = None
    if args.gui:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from PyQt6.QtWidgets import QApplication

        app = QApplication.instance() or QApplication(["ingest-benchmark"])  # noqa: F841 - lives for the run
        idle_gui = idle_gui_latency()
    sensors = sensor_ids(args.sensors)
    base_ms = int((datetime.now(timezone.utc) - timedelta(days=1)).timestamp() * 1000)
    baselines, runs = [], []
    with tempfile.TemporaryDirectory(prefix="ingest-bench-") as tmp:
        workdir = Path(tmp)
        proc, port = start_broker(workdir, extra_conf="max_inflight_messages 0\n")
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
        "offered_readings_per_s": args.rate or None,  # None: as fast as the publishers can
        "messages_per_run": args.messages,
        "values_per_message": len(METRICS),
        "publisher_processes": args.processes,
        "sensors": args.sensors,
        "qos": 1,
        "database": "sqlite-wal",
        "feed_rejects": ours["rejects"],
        "feed_duplicates": ours["duplicates"],
        "writer_producer_waits": ours["producer_waits"],
        "cpu_us_per_reading": round(1e6 / best_cpu_ours, 1),
        "baseline_cpu_us_per_reading": round(1e6 / best_cpu_baseline, 1),
        "cpu_seconds": round(ours["cpu_seconds"], 2),
        "thread_cpu_seconds": ours["thread_cpu_seconds"],
        "gui": args.gui,
        "gui_fixed_columns": args.fixed_columns,
        "switch_interval_ms": round(sys.getswitchinterval() * 1000.0, 3),
        "gui_latency_ms_p99": round(max(r["gui"]["p99"] for r in runs), 1) if args.gui else None,
        "gui_latency_ms_max": round(max(r["gui"]["max"] for r in runs), 1) if args.gui else None,
        "gui_latency_ms_p50": round(max(r["gui"]["p50"] for r in runs), 1) if args.gui else None,
        "gui_probe_samples": sum(r["gui"]["samples"] for r in runs) if args.gui else 0,
        "gui_idle_latency_ms_p99": round(idle_gui["p99"], 1) if idle_gui else None,
        "gui_idle_latency_ms_max": round(idle_gui["max"], 1) if idle_gui else None,
        "gui_readings_delivered": sum(r["gui_readings_delivered"] for r in runs),
        "cpus": os.cpu_count(),
        "load_average_1m_start": round(load_start, 2) if load_start is not None else None,
        "load_average_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "process_cpu_seconds": round(time.process_time() - cpu_start, 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
