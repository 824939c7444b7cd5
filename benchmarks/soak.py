"""The demo console left running: do memory, threads, open files and the database stay flat?

Runs the real `controlroom --demo` offscreen on a private Mosquitto (the demo commune, its
simulator at 60× time, 41 synthetic cameras, the 4×4 wall live) for `--minutes`. An operator
on a second console (a core and alert engine in this process, on the same broker) acknowledges
every alert that needs action each `--ack-every` seconds, as a room does: the simulator raises
citizen reports all the time, and alerts nobody handles are state that grows by design. It samples
every `--interval` seconds: resident memory of the app and its helper processes (QtWebEngine),
its thread count, its open file descriptors, and the SQLite database with its WAL. The
baseline is the same process at the end of the warm-up (`--warmup` minutes: caches, the map,
the replay buffers fill); the JSON line gives the growth per hour after it, from a straight
line fitted over the samples, and the ratio end / baseline. The database grows with history by
design (retention removes raw rows after `raw_retention_days`): it is reported per simulated
day, not as a leak. Quits the app with SIGINT, as an operator's Ctrl+C would, and checks it
exits cleanly. Prints one JSON line last.

    /opt/crvenv/bin/python benchmarks/soak.py [--minutes 30] [--interval 15] [--warmup 3]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psutil

from bench_broker import start_broker
from controlroom.access.operators import Operator, Role
from controlroom.config import demo_config_path, load_config

# console B (a core in this process) has no cameras: the demo's are synthetic, and the config's
# example ONVIF addresses must never be asked (its clock check would)
os.environ.setdefault("CONTROLROOM_CAMERA_SOURCE", "off")

TIME_SCALE = 60.0
OFFICER_B = Operator("trucban_b", "Trực ban B", Role.DUTY_OFFICER)  # console B's signed-in officer


def site_on_port(port: int, workdir: Path) -> Path:
    """The demo commune pointed at the private broker, with the files it names (map layers)
    beside it."""
    import shutil

    original = demo_config_path().read_text(encoding="utf-8")
    for layer in {Path(layer.file).parent for layer in load_config(demo_config_path()).map.layers}:
        shutil.copytree(layer, workdir / layer.name, dirs_exist_ok=True)
    text = original.replace('[mqtt]\nhost = "127.0.0.1"\nport = 1883',
                        f'[mqtt]\nhost = "127.0.0.1"\nport = {port}\nclient_id = "soak-{uuid.uuid4().hex[:8]}"', 1)
    if text == original:
        raise SystemExit("the demo config's [mqtt] section changed: update site_on_port")
    path = workdir / "site.toml"
    path.write_text(text, encoding="utf-8")
    return path


def sample(app: psutil.Process, db: Path) -> dict:
    family = [app] + app.children(recursive=True)
    rss = 0
    for proc in family:
        try:
            rss += proc.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    files = [db, db.with_name(db.name + "-wal")]
    return {
        "t": time.monotonic(),
        "rss_mb": rss / 2**20,
        "app_rss_mb": app.memory_info().rss / 2**20,
        "threads": app.num_threads(),
        "fds": app.num_fds(),
        "db_mb": sum(f.stat().st_size for f in files if f.exists()) / 2**20,
    }


def after_warmup(samples: list[dict], started: float, warmup_min: float) -> list[dict]:
    after = [s for s in samples if s["t"] - started >= warmup_min * 60]
    if len(after) < 2:
        raise SystemExit("too few samples after the warm-up: run longer")
    return after


def growth(samples: list[dict], started: float, warmup_min: float, rss_key: str,
           time_scale: float = TIME_SCALE) -> dict:
    """Memory, threads, open files and database after the warm-up against its end: the
    figures every soak reports (`rss_key`: which memory sample is the one judged)."""
    after = after_warmup(samples, started, warmup_min)
    base, end = after[0], after[-1]
    hours = (end["t"] - base["t"]) / 3600.0
    return {
        "samples": len(after),
        "baseline_rss_mb": round(base[rss_key], 1),
        "rss_mb": round(end[rss_key], 1),
        "rss_ratio": round(end[rss_key] / base[rss_key], 3),
        "rss_mb_per_hour": round(per_hour(after, rss_key), 1),
        "baseline_threads": base["threads"],
        "threads": end["threads"],
        "threads_max": max(s["threads"] for s in after),
        "baseline_fds": base["fds"],
        "fds": end["fds"],
        "fds_max": max(s["fds"] for s in after),
        "db_mb": round(end["db_mb"], 1),
        "db_mb_per_simulated_day": round((end["db_mb"] - base["db_mb"]) / (hours * time_scale / 24.0), 2) if hours else None,
    }


class SecondConsole:
    """A second console whose operator acknowledges every alert that needs action, periodically."""

    def __init__(self, site: Path, db: Path, every_s: float) -> None:
        from controlroom.config import load_config
        from controlroom.core import ControlRoomCore

        config = load_config(site)
        self.core = ControlRoomCore(config, db_url=f"sqlite:///{db}", client_id=f"soak-b-{uuid.uuid4().hex[:6]}",
                                    data_dir=db.parent / "console-b", monitor_cameras=False)
        self.core.start()
        self.engine = self.core.alerts
        self.acknowledged = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every_s,), name="soak-operator", daemon=True)
        self._thread.start()

    def _run(self, every_s: float) -> None:
        while not self._stop.wait(every_s):
            ids = [a.id for a in self.engine.snapshot().alerts if a.needs_action]
            if ids:
                self.engine.acknowledge(ids, OFFICER_B, "soak")
                self.acknowledged += len(ids)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.core.stop()


def per_hour(samples: list[dict], key: str) -> float:
    """Slope of a least-squares line through (time, value), per hour."""
    ts = [s["t"] for s in samples]
    values = [s[key] for s in samples]
    if len(samples) < 2 or max(ts) == min(ts):
        return 0.0
    mean_t, mean_v = statistics.fmean(ts), statistics.fmean(values)
    slope = sum((t - mean_t) * (v - mean_v) for t, v in zip(ts, values)) / sum((t - mean_t) ** 2 for t in ts)
    return slope * 3600.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--interval", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--ack-every", type=float, default=30.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="soak-bench-") as tmp:
        workdir = Path(tmp)
        broker, port = start_broker(workdir)
        db = workdir / "soak.sqlite3"
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CONTROLROOM_DATA_DIR=str(workdir / "data"),
                   CONTROLROOM_CAMERA_SOURCE="synthetic")
        command = [sys.executable, "-m", "controlroom.cli.main", "--demo", "--config", str(site_on_port(port, workdir)),
                   "--db", f"sqlite:///{db}", "--time-scale", str(TIME_SCALE)]
        stderr = (workdir / "app.stderr").open("w", encoding="utf-8")
        proc = subprocess.Popen(command, env=env, cwd=workdir, stdout=subprocess.DEVNULL, stderr=stderr)
        app = psutil.Process(proc.pid)
        operator = SecondConsole(site_on_port(port, workdir), workdir / "console-b.sqlite3", args.ack_every)
        samples: list[dict] = []
        started = time.monotonic()
        try:
            while time.monotonic() - started < args.minutes * 60:
                time.sleep(args.interval)
                if proc.poll() is not None:
                    raise SystemExit(f"the app exited early ({proc.returncode}): "
                                     f"{(workdir / 'app.stderr').read_text(encoding='utf-8')[-1500:]}")
                samples.append(sample(app, db))
                print(f"{(samples[-1]['t'] - started) / 60:5.1f} min: " + ", ".join(
                    f"{k} {v:.1f}" for k, v in samples[-1].items() if k != "t"), file=sys.stderr)
        finally:
            operator.stop()
            proc.send_signal(signal.SIGINT)
            try:
                exit_code = proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                exit_code = None
            broker.terminate()
            broker.wait(timeout=10)
            stderr.close()
        errors = (workdir / "app.stderr").read_text(encoding="utf-8")

    summary = {
        "name": "soak",
        "minutes": args.minutes,
        "warmup_minutes": args.warmup,
        **growth(samples, started, args.warmup, "rss_mb"),
        "app_rss_mb_per_hour": round(per_hour(after_warmup(samples, started, args.warmup), "app_rss_mb"), 1),
        "alerts_acknowledged": operator.acknowledged,
        "exit_code": exit_code,
        "traceback_in_stderr": "Traceback" in errors,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
