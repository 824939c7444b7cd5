"""The demo console at rest: how much of this machine's CPU does it take while nobody touches it?

Runs the real `controlroom --demo` (the demo commune on a private Mosquitto, its simulator at 60×,
41 synthetic cameras, the 4×4 wall live, the map, graphs and queue) offscreen or on an Xvfb
screen, lets it warm up, then counts CPU seconds over `--seconds`: the console process, its main
(GUI) thread, the processes it started (the site's service, the map's web engine) and the broker.
Baseline, same run and same platform: a bare PyQt6 window with nothing in it, idle over the same
span (what any Qt program costs at rest here). Goal (issue "video on packets"): the whole demo at
rest <= 0.5 core on this 2-core machine. Prints one JSON line last.

    .venv/bin/python benchmarks/rest_cpu.py [--platform offscreen|xvfb] [--warmup 60] [--seconds 60]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from bench_broker import start_broker
from soak import TIME_SCALE, site_on_port

GOAL_CORES = 0.5
BARE_QT = ("import sys\nfrom PyQt6.QtWidgets import QApplication, QWidget\n"
           "app = QApplication(sys.argv)\nw = QWidget()\nw.resize(1920, 1080)\nw.show()\napp.exec()\n")


def cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for proc in processes:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def main_thread_seconds(proc: psutil.Process) -> float:
    """User + system seconds of the process's first thread (Qt's GUI thread: the one that ran main)."""
    thread = next(t for t in proc.threads() if t.id == proc.pid)
    return thread.user_time + thread.system_time


def measure(name: str, command: list[str], env: dict, cwd: Path, warmup_s: float, seconds: float, others=()) -> dict:
    """Start `command`, wait `warmup_s`, then the CPU it and its descendants (and `others`) use over `seconds`."""
    stderr = (cwd / f"{name}.stderr").open("w", encoding="utf-8")
    proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=stderr)
    app = psutil.Process(proc.pid)
    try:
        time.sleep(warmup_s)
        if proc.poll() is not None:
            raise SystemExit(f"{name} exited during the warm-up ({proc.returncode}): "
                             f"{(cwd / f'{name}.stderr').read_text(encoding='utf-8')[-1500:]}")
        family = [app, *app.children(recursive=True)]
        start = (time.monotonic(), cpu_seconds([app]), main_thread_seconds(app), cpu_seconds(family),
                 cpu_seconds(list(others)))
        time.sleep(seconds)
        end = (time.monotonic(), cpu_seconds([app]), main_thread_seconds(app), cpu_seconds(family),
               cpu_seconds(list(others)))
        wall = end[0] - start[0]
        return {"process_cores": round((end[1] - start[1]) / wall, 3),
                "main_thread_cores": round((end[2] - start[2]) / wall, 3),
                "with_children_cores": round((end[3] - start[3]) / wall, 3),
                "others_cores": round((end[4] - start[4]) / wall, 3),
                "processes": len(family)}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        stderr.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--platform", choices=("offscreen", "xvfb"), default="offscreen")
    parser.add_argument("--warmup", type=float, default=60.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="rest-cpu-") as tmp:
        workdir = Path(tmp)
        env = dict(os.environ, CONTROLROOM_DATA_DIR=str(workdir / "data"), CONTROLROOM_CAMERA_SOURCE="synthetic")
        screen = None
        if args.platform == "xvfb":
            if shutil.which("Xvfb") is None:
                raise SystemExit("Xvfb is not installed (apt: xvfb)")
            display = f":{90 + os.getpid() % 100}"
            screen = subprocess.Popen(["Xvfb", display, "-screen", "0", "1920x1080x24"], stderr=subprocess.DEVNULL)
            time.sleep(1.0)
            env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb")
        else:
            env["QT_QPA_PLATFORM"] = "offscreen"
        broker, port = start_broker(workdir)
        try:
            bare = measure("bare_qt", [sys.executable, "-c", BARE_QT], env, workdir, min(args.warmup, 10.0), args.seconds)
            demo = measure("demo", [sys.executable, "-m", "controlroom.cli.main", "--demo", "--config", str(site_on_port(port, workdir)),
                            "--db", f"sqlite:///{workdir / 'demo.sqlite3'}", "--time-scale", str(TIME_SCALE)],
                           env, workdir, args.warmup, args.seconds, others=[psutil.Process(broker.pid)])
        finally:
            broker.terminate()
            broker.wait(timeout=10)
            if screen is not None:
                screen.terminate()
                screen.wait(timeout=10)

    total = round(demo["with_children_cores"] + demo["others_cores"], 3)
    print(json.dumps({
        "name": "rest_cpu", "platform": args.platform, "seconds": args.seconds, "warmup_s": args.warmup,
        "cores_on_machine": psutil.cpu_count(), "demo_total_cores": total, "demo": demo,
        "baseline_bare_qt_cores": bare["process_cores"], "goal_cores": GOAL_CORES,
        "ratio": round(total / GOAL_CORES, 3),  # to the goal: a bare Qt window idles at ~0, no ratio to it means much
        "goal_met": total <= GOAL_CORES,
        "main_thread_share_of_console": round(demo["main_thread_cores"] / max(demo["process_cores"], 1e-9), 3),
    }))


if __name__ == "__main__":
    main()
