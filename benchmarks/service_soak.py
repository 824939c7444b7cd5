"""The site's service left running: do its memory, threads, open files and database stay flat?

Runs the real `controlroom serve` (the demo commune on a private Mosquitto, SQLite) with the
demo simulator (`controlroom simulate`, 60x time) feeding it, for `--minutes`. An operator
acknowledges every alert that needs action each `--ack-every` seconds through the service's
command channel, as a console does (the simulator raises citizen reports all the time). It
samples every `--interval` seconds the service process's resident memory, threads, open file
descriptors and the SQLite database with its WAL; the baseline is the end of the warm-up
(`--warmup` minutes). The JSON line gives the growth per hour after it (a fitted line) and the
ratio end / baseline; the database grows with history by design and is reported per simulated
day. Stops the service with SIGTERM and checks it exits cleanly. Prints one JSON line last.

`--time-scale` speeds the simulator up: its river floods every 48 simulated hours (a wall hour
apart at 60x, half an hour at 120x), and "before_each_flood" lists memory just before each flood
starts, when the one before has receded: what a flood leaves behind, flood after flood.

With `--console`, a real console (`controlroom --config`, offscreen, every panel, the site's
cameras synthetic) runs attached to the service all along, and its memory, threads and open
files are reported the same way under "console".

    .venv/bin/python benchmarks/service_soak.py [--minutes 30] [--interval 15] [--warmup 3] [--console]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
import psutil
from paho.mqtt.enums import CallbackAPIVersion
from bench_broker import start_broker
from soak import TIME_SCALE, after_warmup, growth, per_hour, sample, site_on_port

OPERATOR = ("soak_operator", "mat-khau-soak")
NEEDS_ACTION = {"unacknowledged", "returned_unacknowledged"}


class CommandOperator:
    """Signs in at the service and acknowledges what needs action, through the command channel."""

    def __init__(self, port: int, prefix: str, every_s: float) -> None:
        from controlroom.service.commands import COMMAND_TOPIC, request_body

        self._topic, self._body = f"{prefix}/{COMMAND_TOPIC}", request_body
        self._prefix = prefix
        self.reply_to = f"room/service/reply/soak-{uuid.uuid4().hex[:6]}"
        self.replies: queue.Queue = queue.Queue()
        self.alerts: dict[str, str] = {}  # id -> state, from the retained alert topics
        self._lock = threading.Lock()
        self.acknowledged = self.refused = 0
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"soak-op-{uuid.uuid4().hex[:6]}",
                                  protocol=mqtt.MQTTv5)
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.subscribe([(f"{prefix}/{self.reply_to}", 1), (f"{prefix}/room/alert/+", 1)])
        self.client.loop_start()
        self._session = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every_s,), name="soak-operator", daemon=True)
        self._thread.start()

    def _on_message(self, client, userdata, message) -> None:
        if message.topic.endswith(self.reply_to):
            self.replies.put(json.loads(message.payload))
        elif message.payload:
            with self._lock:
                self.alerts[message.topic.rsplit("/", 1)[-1]] = json.loads(message.payload).get("state", "")

    def _ask(self, op: str, args: dict) -> dict:
        request_id = uuid.uuid4().hex[:12]
        self.client.publish(self._topic, self._body(op, args, self._session, self.reply_to, request_id), qos=1)
        while (answer := self.replies.get(timeout=60))["id"] != request_id:
            pass
        return answer

    def _run(self, every_s: float) -> None:
        while not self._stop.wait(every_s):
            if self._session is None:
                answer = self._ask("sign_in", {"username": OPERATOR[0], "password": OPERATOR[1]})
                self._session = answer.get("result", {}).get("session")
                continue
            with self._lock:
                ids = [a for a, state in self.alerts.items() if state in NEEDS_ACTION]
            if ids:
                answer = self._ask("alert.acknowledge", {"ids": ids, "comment": "soak"})
                if answer["ok"]:
                    self.acknowledged += len(ids)
                else:
                    self.refused += 1

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)
        self.client.loop_stop()
        self.client.disconnect()


def add_operator(db: Path, site: Path) -> None:
    """The operator's account, once the service has created the schema."""
    from sqlalchemy import create_engine

    from controlroom.access.accounts import upsert_operator
    from controlroom.access.operators import Role, operator_row
    from controlroom.config import load_config

    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        upsert_operator(conn, operator_row(load_config(site).site.id, OPERATOR[0], "Soak", Role.OPERATOR, OPERATOR[1]))
    engine.dispose()


def with_web(console_sample: dict) -> dict:
    """The console's sample with its helper processes (the map's QtWebEngine) apart: the whole
    family minus the console itself."""
    return {**console_sample, "web_rss_mb": console_sample["rss_mb"] - console_sample["app_rss_mb"]}


def every_five_minutes(samples: list[dict], started: float, keys: tuple[str, ...]) -> list[dict]:
    """The samples nearest each 5-minute mark: the table a reader compares against the warm-up."""
    table, mark = [], 5.0
    for s in samples:
        minute = (s["t"] - started) / 60
        if minute >= mark:
            table.append({"minute": round(minute, 1), **{k: round(s[k], 1) for k in keys}})
            mark = 5.0 * (int(minute // 5) + 1)
    return table


def before_each_flood(samples: list[dict], started: float, time_scale: float, keys: tuple[str, ...]) -> list[dict]:
    """The last sample before each of the simulator's flood events starts (the first excepted:
    it starts during the warm-up), when the flood before it has receded."""
    from controlroom.sim.models import FloodScenario

    scenario = FloodScenario()
    marks, k = [], 1
    while True:
        start_min = (scenario.first_event_h + k * scenario.period_h) * 60.0 / time_scale
        before = [s for s in samples if (s["t"] - started) / 60 < start_min]
        if not before or len(before) == len(samples):
            return marks
        marks.append({"flood": k + 1, "minute": round((before[-1]["t"] - started) / 60, 1),
                      **{key: round(before[-1][key], 1) for key in keys}})
        k += 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--interval", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--ack-every", type=float, default=30.0)
    parser.add_argument("--console", action="store_true", help="a console attached to the service all along")
    parser.add_argument("--time-scale", type=float, default=TIME_SCALE, help="the simulator's clock speed")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="service-soak-") as tmp:
        workdir = Path(tmp)
        broker, port = start_broker(workdir)
        site = site_on_port(port, workdir)
        db = workdir / "service.sqlite3"
        env = dict(os.environ, CONTROLROOM_DATA_DIR=str(workdir / "data"), CONTROLROOM_CAMERA_SOURCE="synthetic")
        out = (workdir / "serve.out").open("w", encoding="utf-8")
        service = subprocess.Popen([sys.executable, "-m", "controlroom.cli.main", "serve", "--config", str(site),
                                    "--db", f"sqlite:///{db}"], env=env, cwd=workdir, stdout=out, stderr=subprocess.STDOUT)
        simulator = subprocess.Popen([sys.executable, "-m", "controlroom.cli.main", "simulate", "--config", str(site),
                                      "--time-scale", str(args.time_scale)], env=env, cwd=workdir,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        app = psutil.Process(service.pid)
        console = None
        console_samples: list[dict] = []
        samples: list[dict] = []
        started = time.monotonic()
        operator = None
        try:
            while not db.exists() and time.monotonic() - started < 60:
                time.sleep(0.5)
            time.sleep(5)  # migrated by now
            add_operator(db, site)
            from controlroom.config import load_config

            operator = CommandOperator(port, load_config(site).topic_prefix, args.ack_every)
            if args.console:  # after the service is up, so the console attaches to it
                console = subprocess.Popen(
                    [sys.executable, "-m", "controlroom.cli.main", "--config", str(site), "--db", f"sqlite:///{db}"],
                    env=dict(env, QT_QPA_PLATFORM="offscreen"), cwd=workdir,
                    stdout=(workdir / "console.out").open("w", encoding="utf-8"), stderr=subprocess.STDOUT)
            while time.monotonic() - started < args.minutes * 60:
                time.sleep(args.interval)
                if service.poll() is not None:
                    raise SystemExit(f"the service exited early ({service.returncode})")
                if console is not None:
                    if console.poll() is not None:
                        raise SystemExit(f"the console exited early ({console.returncode})")
                    console_samples.append(with_web(sample(psutil.Process(console.pid), db)))
                samples.append(sample(app, db))
                print(f"{(samples[-1]['t'] - started) / 60:5.1f} min: " + ", ".join(
                    f"{k} {v:.1f}" for k, v in samples[-1].items() if k != "t") + "".join(
                    f"; console {k} {v:.1f}" for k, v in console_samples[-1:][0].items() if k != "t")
                    if console_samples else "", file=sys.stderr)
        finally:
            if operator is not None:
                operator.stop()
            if console is not None:
                console.terminate()
                try:
                    console.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    console.kill()
            simulator.send_signal(signal.SIGINT)
            service.send_signal(signal.SIGTERM)
            try:
                exit_code = service.wait(timeout=60)
            except subprocess.TimeoutExpired:
                service.kill()
                exit_code = None
            try:
                simulator.wait(timeout=30)
            except subprocess.TimeoutExpired:
                simulator.kill()
            broker.terminate()
            broker.wait(timeout=10)
            out.close()
        log = (workdir / "serve.out").read_text(encoding="utf-8")
        console_log = "".join((workdir / name).read_text(encoding="utf-8", errors="replace")
                              for name in ("console.out", "data/controlroom.log")
                              if console is not None and (workdir / name).exists())

    print(json.dumps({
        "name": "service_soak",
        "minutes": args.minutes,
        "warmup_minutes": args.warmup,
        "time_scale": args.time_scale,
        **growth(samples, started, args.warmup, "app_rss_mb", args.time_scale),
        "before_each_flood": before_each_flood(samples, started, args.time_scale, ("app_rss_mb",)),
        "alerts_acknowledged_by_command": operator.acknowledged if operator else 0,
        "commands_refused": operator.refused if operator else 0,
        "exit_code": exit_code,
        "traceback_in_log": "Traceback" in log,
        "every_5_min": every_five_minutes(samples, started, ("app_rss_mb", "threads", "fds", "db_mb")),
        **({"console": {**growth(console_samples, started, args.warmup, "app_rss_mb", args.time_scale),
                        "before_each_flood": before_each_flood(console_samples, started, args.time_scale,
                                                               ("app_rss_mb", "web_rss_mb")),
                        "web_baseline_rss_mb": round(after_warmup(console_samples, started, args.warmup)[0]["web_rss_mb"], 1),
                        "web_rss_mb": round(console_samples[-1]["web_rss_mb"], 1),
                        "web_rss_mb_per_hour": round(per_hour(after_warmup(console_samples, started, args.warmup),
                                                              "web_rss_mb"), 1),
                        "every_5_min": every_five_minutes(console_samples, started,
                                                          ("app_rss_mb", "web_rss_mb", "threads", "fds")),
                        "attached": "attached to it" in console_log,
                        "traceback_in_log": "Traceback" in console_log}} if console is not None else {}),
    }))


if __name__ == "__main__":
    main()
