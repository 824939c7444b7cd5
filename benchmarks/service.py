"""The site's service as its own process: ingest against a bare subscriber, and the command
round trip against a bare MQTT relay.

Starts a private Mosquitto, then a ControlRoomService (every duty, cameras not opened) in a
spawned child process, with the demo commune plus 100 benchmark air-quality sensors and an
SQLite file.
  1. Ingest, in pairs taking turns (--rounds): a bare paho subscriber that only counts
     (ingest.py's baseline; its flood on another site's topics, which the running service does
     not hear), then the same flat-out flood of multi-metric QoS-1 readings into the service,
     timed until every reading is a row in its database (checked by this process). `ratio` is
     the median of the pairs' ratios: this machine's speed drifts from one minute to the next,
     which a best-of-each figure takes for a difference. lost = published - stored.
  2. Command round trip: console A (a raw MQTT client) acknowledges an alert through the command
     channel; the time until console B (another client) sees the retained alert acknowledged.
     Baseline: the same two clients relaying one plain message A -> broker -> B.
Prints one JSON line last. Run: .venv/bin/python benchmarks/service.py [--messages N] [--commands N] [--no-tcp-nodelay]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import queue
import socket
import statistics
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import paho.mqtt.client as mqtt
import psutil
from paho.mqtt.enums import CallbackAPIVersion
from bench_broker import start_broker
from ingest import METRICS, PREFIX, Flood, run_baseline, sensor_ids
from sqlalchemy import create_engine, text

OPERATOR = ("bench_operator", "mat-khau-bench")
BARE_PREFIX = "benchbar"  # the bare subscriber's topics: as long as the site's, not the service's


def bench_config(sensors: list[str]):
    from controlroom.config import MetricConfig, SensorConfig, demo_config_path, load_config

    demo = load_config(demo_config_path())
    metrics = {m: MetricConfig(unit="µg/m³", valid_min=0, valid_max=5000) for m in METRICS}
    extra = [SensorConfig(id=s, name=s, kind="air_quality", lat=16.53, lon=107.53, metrics=metrics) for s in sensors]
    return demo.model_copy(update={"sensors": [*demo.sensors, *extra]})


def service_process(sensors: list[str], db_url: str, port: int, data_dir: str, ready, stop) -> None:
    from controlroom.service.heap import settle_after_start
    from controlroom.service.runner import ControlRoomService

    service = ControlRoomService(bench_config(sensors), db_url=db_url, feed_options={"host": "127.0.0.1", "port": port},
                                 data_dir=Path(data_dir), monitor_cameras=False)
    service.start()
    service.core.feed.wait_subscribed(60)
    settle_after_start()  # as `controlroom serve` does
    ready.set()
    stop.wait()
    service.stop()


class Console:
    """A raw MQTT client standing in for a console: sends commands, watches retained topics."""

    def __init__(self, port: int, name: str) -> None:
        self.reply_to = f"room/service/reply/{name}"
        self.replies: queue.Queue = queue.Queue()
        self.seen: queue.Queue = queue.Queue()  # (monotonic time, topic, payload)
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-{name}-{uuid.uuid4().hex[:6]}",
                                  protocol=mqtt.MQTTv5)
        self.client.on_message = self._on_message
        subscribed = mp.Event()
        self.client.on_subscribe = lambda *a: subscribed.set()
        self.client.connect("127.0.0.1", port)
        # as the console's feed does: no Nagle wait for a publish right after another
        self.client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.client.subscribe([(f"{PREFIX}/{self.reply_to}", 1), (f"{PREFIX}/room/alert/+", 1),
                               (f"{PREFIX}/bench/relay", 1)])
        self.client.loop_start()
        subscribed.wait(30)

    def _on_message(self, client, userdata, message) -> None:
        if message.topic == f"{PREFIX}/{self.reply_to}":
            self.replies.put(json.loads(message.payload))
        else:
            self.seen.put((time.monotonic(), message.topic, message.payload))

    def ask(self, op: str, args: dict, session: str | None) -> dict:
        from controlroom.service.commands import COMMAND_TOPIC, request_body

        request_id = uuid.uuid4().hex[:12]
        self.client.publish(f"{PREFIX}/{COMMAND_TOPIC}", request_body(op, args, session, self.reply_to, request_id), qos=1)
        while (answer := self.replies.get(timeout=60))["id"] != request_id:
            pass
        if not answer["ok"]:
            raise SystemExit(f"{op} refused: {answer}")
        return answer["result"]

    def wait_for(self, accept, timeout: float = 60) -> float:
        deadline = time.monotonic() + timeout
        while True:
            at, topic, payload = self.seen.get(timeout=max(0.01, deadline - time.monotonic()))
            if accept(topic, payload):
                return at

    def drain(self) -> None:
        while not self.seen.empty():
            self.seen.get_nowait()

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def _acked(alert_id: str):
    def accept(topic: str, payload: bytes) -> bool:
        return topic.endswith(f"/room/alert/{alert_id}") and bool(json.loads(payload).get("acked"))

    return accept


def round_trips(port: int, db_url: str, count: int) -> dict:
    from controlroom.access.accounts import upsert_operator
    from controlroom.access.operators import Role, operator_row
    from controlroom.config import demo_config_path, load_config

    site = load_config(demo_config_path()).site.id
    engine = create_engine(db_url)
    with engine.begin() as conn:
        upsert_operator(conn, operator_row(site, OPERATOR[0], "Bench", Role.OPERATOR, OPERATOR[1]))
    engine.dispose()
    a, b = Console(port, "a"), Console(port, "b")
    try:
        session = a.ask("sign_in", {"username": OPERATOR[0], "password": OPERATOR[1]}, None)["session"]
        ours, relay = [], []
        for k in range(count):
            alert_id = a.ask("alert.raise", {"text": f"benchmark {k}", "priority": "low"}, session)["alert_id"]
            b.drain()
            t0 = time.monotonic()
            a.ask("alert.acknowledge", {"ids": [alert_id], "comment": ""}, session)
            ours.append(b.wait_for(_acked(alert_id)) - t0)
            b.drain()
            t0 = time.monotonic()
            a.client.publish(f"{PREFIX}/bench/relay", str(k), qos=1)
            relay.append(b.wait_for(lambda topic, payload, k=k: topic.endswith("/bench/relay") and payload == str(k).encode())
                         - t0)
    finally:
        a.close()
        b.close()
    return {"ours_ms": [x * 1000 for x in ours], "relay_ms": [x * 1000 for x in relay]}


def ingest_into_service(port: int, db_url: str, args, sensors: list[str], base_ms: int, service: psutil.Process) -> dict:
    """One flood into the service; also the service process's CPU per stored reading, a figure
    that does not ride on the broker's and the publishers' share of the machine."""
    engine = create_engine(db_url)
    site = bench_config([]).site.id

    def stored() -> int:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM readings WHERE sensor_id LIKE 'aq_bench_%'")).scalar_one()

    def last_stored() -> bool:
        """Every publisher's last message is rows (point lookups on the key: cheap enough to
        ask every 10 ms, where counting the table takes tens of ms of the machine's CPU)."""
        with engine.connect() as conn:
            return all(conn.execute(text("SELECT count(*) FROM readings WHERE site_id = :site AND sensor_id = :s AND ts_ms = :t"),
                                    {"site": site, "s": sensor, "t": ts}).scalar_one() == len(METRICS) for sensor, ts in last)

    before = stored()
    flood = Flood(port, args.processes, args.messages, sensors, base_ms)
    expected = flood.messages * len(METRICS)
    last = flood.last_messages()
    cpu0 = sum(service.cpu_times()[:2])
    t0 = flood.release()
    flood.join()
    deadline = time.monotonic() + 600
    # Each publisher's messages are stored in the order it sent them (one connection, one feed,
    # one writer): its last one stored means all of it, which the full count below confirms.
    # Polling every 0.2 s with that count added up to 0.2 s to a flood of ~2 s on a fast machine.
    while not last_stored() and time.monotonic() < deadline:
        time.sleep(0.01)
    seconds = time.monotonic() - t0
    while (rows := stored() - before) < expected and time.monotonic() < deadline:
        time.sleep(0.2)
        seconds = time.monotonic() - t0  # (only if the order did not hold)
    cpu_s = sum(service.cpu_times()[:2]) - cpu0
    engine.dispose()
    return {"published": expected, "stored": rows, "seconds": seconds, "readings_per_s": rows / seconds,
            "cpu_us_per_reading": 1e6 * cpu_s / max(1, rows)}


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000, help="messages per ingest round (6 readings each)")
    parser.add_argument("--processes", type=int, default=2, help="publisher processes")
    parser.add_argument("--sensors", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3,
                        help="pairs of floods, the bare subscriber's then the service's; the ratio is the pairs' median")
    parser.add_argument("--commands", type=int, default=50, help="acknowledgement round trips")
    parser.add_argument("--tcp-nodelay", action=argparse.BooleanOptionalAction, default=True,
                        help="broker sends at once (set_tcp_nodelay, as the shipped config does; "
                             "Mosquitto's own default waits, ~20-40 ms per hop here)")
    args = parser.parse_args()
    args.rate = 0.0  # flat out (ingest.py's baseline reads it)
    sensors = sensor_ids(args.sensors)
    base_ms = int((datetime.now(timezone.utc) - timedelta(days=1)).timestamp() * 1000)
    ctx = mp.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="service-bench-") as tmp:
        workdir = Path(tmp)
        broker, port = start_broker(workdir, extra_conf="max_inflight_messages 0\n"
                                    + ("set_tcp_nodelay true\n" if args.tcp_nodelay else ""))
        db_url = f"sqlite:///{(workdir / 'service.sqlite3').as_posix()}"
        baselines, runs, idle_cpu = [], [], []  # idle_cpu: the service's own CPU % beside the bare subscriber
        try:
            ready, stop = ctx.Event(), ctx.Event()
            child = ctx.Process(target=service_process,
                                args=(sensors, db_url, port, str(workdir / "data"), ready, stop), name="controlroom-service")
            child.start()
            try:
                if not ready.wait(120):
                    raise SystemExit("the service did not start")
                trips = round_trips(port, db_url, args.commands)
                for round_no in range(args.rounds):
                    # the bare subscriber's flood goes to another site's topics (same length), which
                    # the service does not subscribe to: the pair shares the machine's minute
                    service_cpu0, t0 = sum(psutil.Process(child.pid).cpu_times()[:2]), time.monotonic()
                    baselines.append(run_baseline(port, args, sensors, base_ms, 2 * round_no, prefix=BARE_PREFIX))
                    idle_cpu.append(100 * (sum(psutil.Process(child.pid).cpu_times()[:2]) - service_cpu0) / (time.monotonic() - t0))
                    runs.append(ingest_into_service(port, db_url, args, sensors, base_ms + (round_no + 1) * 10_000_000,
                                                    psutil.Process(child.pid)))
            finally:
                stop.set()
                child.join(60)
                if child.is_alive():
                    child.kill()
        finally:
            broker.terminate()
            broker.wait(10)
    baseline = max(baselines, key=lambda r: r["readings_per_s"])
    ours = max(runs, key=lambda r: r["readings_per_s"])
    pair_ratios = [r["readings_per_s"] / b["readings_per_s"] for b, r in zip(baselines, runs)]
    result = {
        "name": "service",
        "readings_per_s": round(ours["readings_per_s"]),
        "baseline_readings_per_s": round(baseline["readings_per_s"]),
        "ratio": round(statistics.median(pair_ratios), 3),
        "pair_ratios": [round(x, 3) for x in pair_ratios],
        "best_of_ratio": round(ours["readings_per_s"] / baseline["readings_per_s"], 3),
        "lost": sum(r["published"] - r["stored"] for r in runs),
        "all_readings_per_s": [round(r["readings_per_s"]) for r in runs],
        "service_cpu_us_per_reading": [round(r["cpu_us_per_reading"], 2) for r in runs],
        "all_baseline_readings_per_s": [round(r["readings_per_s"]) for r in baselines],
        "service_cpu_pct_beside_baseline": [round(x, 1) for x in idle_cpu],
        "ack_round_trip_ms_p50": round(percentile(trips["ours_ms"], 50), 1),
        "ack_round_trip_ms_p99": round(percentile(trips["ours_ms"], 99), 1),
        "baseline_relay_ms_p50": round(percentile(trips["relay_ms"], 50), 1),
        "baseline_relay_ms_p99": round(percentile(trips["relay_ms"], 99), 1),
        "round_trip_ratio_p50": round(percentile(trips["ours_ms"], 50) / percentile(trips["relay_ms"], 50), 1),
        "commands": args.commands,
        "broker_tcp_nodelay": args.tcp_nodelay,
        "messages_per_round": args.messages,
        "values_per_message": len(METRICS),
        "service_rounds": args.rounds,
        "database": "sqlite-wal",
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
