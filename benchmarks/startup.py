"""Startup: from launching `controlroom --demo` to the first camera frame on a tile and the
first live reading in the GUI, against a bare `python -c "import PyQt6.QtWidgets"` measured
in the same run (the floor any PyQt6 app pays).

The app runs offscreen with its demo broker/simulator and synthetic cameras
(CONTROLROOM_CAMERA_SOURCE=synthetic: no RTSP server needed); its startup probe
(ui/shell/startup_probe.py) writes the two times and quits. Each app run uses a fresh data dir
(first start: database created, migrations run). Prints one JSON line last.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = int(os.environ.get("STARTUP_RUNS", "3"))
TIMEOUT_S = 180


def baseline_import_s() -> float:
    started = time.time()
    subprocess.run([sys.executable, "-c", "import PyQt6.QtWidgets"], check=True, timeout=TIMEOUT_S)
    return time.time() - started


def app_run(workdir: Path) -> dict:
    data = workdir / "data"
    data.mkdir(parents=True)
    probe = workdir / "probe.json"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CONTROLROOM_DATA_DIR=str(data),
               CONTROLROOM_CAMERA_SOURCE="synthetic", CONTROLROOM_STARTUP_PROBE=str(probe))
    env["CONTROLROOM_LAUNCH_T0"] = repr(time.time())
    done = subprocess.run([sys.executable, "-m", "controlroom.cli.main", "--demo"], env=env, cwd=workdir,
                          capture_output=True, text=True, timeout=TIMEOUT_S)
    if not probe.exists():
        raise RuntimeError(f"the app wrote no probe (exit {done.returncode}): {done.stderr[-800:]}")
    return json.loads(probe.read_text(encoding="utf-8"))


def main() -> None:
    baselines, frames, readings, shown = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="startup-bench-") as tmp:
        for run in range(RUNS):
            baselines.append(baseline_import_s())
            result = app_run(Path(tmp) / f"run{run}")
            frames.append(result["first_frame_s"])
            readings.append(result["first_reading_s"])
            shown.append(result["window_shown_s"])
            print(f"run {run}: baseline {baselines[-1]:.2f} s, window {shown[-1]:.2f} s, "
                  f"first frame {frames[-1]} s, first reading {readings[-1]} s", file=sys.stderr)
    base = statistics.median(baselines)
    frame = statistics.median([f for f in frames if f is not None]) if any(f is not None for f in frames) else None
    reading = statistics.median([r for r in readings if r is not None]) if any(r is not None for r in readings) else None
    print(json.dumps({
        "name": "startup", "runs": RUNS, "platform": "offscreen", "camera_source": "synthetic",
        "baseline_import_s": round(base, 3),
        "window_shown_s": round(statistics.median(shown), 3),
        "first_frame_s": None if frame is None else round(frame, 3),
        "first_reading_s": None if reading is None else round(reading, 3),
        "ratio_first_frame": None if frame is None else round(frame / base, 2),
        "ratio_first_reading": None if reading is None else round(reading / base, 2),
        "frames_missing": sum(1 for f in frames if f is None), "readings_missing": sum(1 for r in readings if r is None),
    }))


if __name__ == "__main__":
    main()
