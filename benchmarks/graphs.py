"""Graph range changes over 30 days of 1-minute data for 20 series: rollups vs raw reads.

Generates 30 d × 1440 × 20 readings straight into a fresh SQLite file through the storage
layer's own batch writer (which maintains the minute, ten-minute and hour rollups), opens a GraphView with
20 x-linked plots offscreen at 1920×1080, and times each range change from the request to
the plots on screen rendered (worker read + setData + a synchronous render via grab()); plots
scrolled out of view load right after and are not timed. The same
sequence runs twice in the same process: the normal path (auto resolution: raw / minute /
ten-minute / hour rollups with min/max) and the baseline that always reads raw rows. Also times pans
inside already-loaded data (no query). Prints one JSON line last.

    /opt/crvenv/bin/python benchmarks/graphs.py [--days 30] [--series 20]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402

from controlroom.config import demo_config_path, load_config  # noqa: E402
from controlroom.storage.db import create_engine_for, migrate  # noqa: E402
from controlroom.bus import EventBus  # noqa: E402
from controlroom.config import DatabaseConfig  # noqa: E402
from controlroom.domain import Reading  # noqa: E402
from controlroom.storage.writer import StorageWriter  # noqa: E402
from controlroom.storage.queries import read_series  # noqa: E402

SITE = "bench"
GOAL_MS = 100.0


def generate(engine, days: int, n_series: int, end: float) -> int:
    """Write days × 1440 readings per series (a daily tide, noise, and a flood hump) through
    the app's own writer thread, which keeps the rollups."""
    from datetime import datetime, timezone

    rng = np.random.default_rng(7)
    ts = end - days * 86400 + np.arange(0, days * 86400, 60.0)
    stamps = [datetime.fromtimestamp(t, timezone.utc) for t in ts.tolist()]
    bus = EventBus()
    writer = StorageWriter(engine, bus, SITE, DatabaseConfig(), batch_rows=5000, max_transaction_rows=20000)
    writer.start()
    total = 0
    try:
        for s in range(n_series):
            base = 1.0 + 0.4 * np.sin(2 * np.pi * ts / 86400 + s) + rng.normal(0, 0.03, ts.size)
            flood = 3.2 * np.exp(-(((ts - (end - (5 + s % 7) * 86400)) / 20000.0) ** 2))
            sensor = f"st{s:02d}"
            for stamp, value in zip(stamps, (base + flood).tolist()):
                bus.publish(Reading(sensor, "level", stamp, value))
            total += ts.size
        if not writer.flush(timeout=1800):
            raise RuntimeError("the writer did not catch up")
    finally:
        writer.stop()
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--series", type=int, default=20)
    args = parser.parse_args()

    from PyQt6.QtWidgets import QApplication

    from controlroom.ui.shell.background import run_in_background
    from controlroom.ui.sensors.graph_view import GraphView
    from controlroom.widgets.plot_spec import PlotSpec

    app = QApplication.instance() or QApplication(sys.argv)
    config = load_config(demo_config_path())
    end = float(int(time.time()) // 60 * 60)
    with tempfile.TemporaryDirectory(prefix="graphs-bench-") as tmp:
        engine = create_engine_for(f"sqlite:///{Path(tmp) / 'bench.db'}")
        migrate(engine)
        t0 = time.perf_counter()
        rows = generate(engine, args.days, args.series, end)
        generate_s = time.perf_counter() - t0
        print(f"generated {rows} readings (+ rollups) in {generate_s:.1f} s", file=sys.stderr)

        def reader(sensor_id, metric, start, stop, resolution):
            return read_series(engine, SITE, sensor_id, metric, start, stop, resolution)

        alarm = config.sensor("wl_phu_oc").alarm_levels
        specs = [PlotSpec(f"st{s:02d}", "level", f"Trạm {s + 1:02d}", "Mực nước", "m", 60.0, None, alarm)
                 for s in range(args.series)]
        day = 86400.0
        windows = [  # (label, start, end): presets, then zoom/pan to past windows
            ("15m", end - 900, end), ("1h", end - 3600, end), ("24h", end - day, end),
            ("7d", end - 7 * day, end), ("30d", end - 30 * day, end),
            ("zoom 3d @-10d", end - 13 * day, end - 10 * day), ("zoom 12h @-20d", end - 20.5 * day, end - 20 * day),
            ("pan 7d @-21d", end - 21 * day, end - 14 * day), ("30d again", end - 30 * day, end),
        ]

        def run_sequence(force: str | None) -> dict:
            view = GraphView(config, reader, run_in_background, now_fn=lambda: end, force_resolution=force)
            view.resize(1920, 1080)
            view.show()
            done: list[int] = []
            view.loaded.connect(done.append)
            view.set_specs(specs)
            wait(app, done, view.generation, view=view)
            settle(app)  # the opening load's plots out of view, before the first timed change
            results = []
            for label, start, stop in windows:
                began = time.perf_counter()
                generation = view.load(start, stop, follow=False)
                wait(app, done, generation, view=view)
                view.grab()  # render every plot on screen now, synchronously
                results.append({"range": label, "ms": round((time.perf_counter() - began) * 1000, 1),
                                "points": view.timing.rows if view.timing else 0,
                                "resolution": view.plots[0].resolution})
                settle(app)  # plots out of view load after the visible ones: not timed, not overlapping
            pans = []
            plot = view.plots[0]
            x0, x1 = end - 30 * day, end
            for step in range(10):  # drag across loaded 30-day data (no query)
                shift = (step + 1) * 0.5 * day
                began = time.perf_counter()
                plot.show_range(x0 - shift * 0.01, x1 - shift * 0.01, follow=False)
                view.grab()
                pans.append((time.perf_counter() - began) * 1000)
            view.close()
            view.deleteLater()
            app.processEvents()
            return {"changes": results, "pan_ms_max": round(max(pans), 1)}

        rollup = run_sequence(None)
        raw = run_sequence("raw")
        engine.dispose()

    rollup_ms = [r["ms"] for r in rollup["changes"]]
    raw_ms = [r["ms"] for r in raw["changes"]]
    summary = {
        "name": "graphs",
        "series": args.series,
        "days": args.days,
        "readings": rows,
        "generate_s": round(generate_s, 1),
        "rollup_range_change_ms_max": max(rollup_ms),
        "rollup_range_change_ms_median": statistics.median(rollup_ms),
        "raw_range_change_ms_max": max(raw_ms),
        "raw_range_change_ms_median": statistics.median(raw_ms),
        "ratio": round(max(raw_ms) / max(rollup_ms), 1),
        "rollup_pan_ms_max": rollup["pan_ms_max"],
        "goal_ms": GOAL_MS,
        "goal_met": max(rollup_ms) < GOAL_MS,
        "per_range": [{"range": a["range"], "rollup_ms": a["ms"], "rollup_points": a["points"], "resolution": a["resolution"],
                       "raw_ms": b["ms"], "raw_points": b["points"]} for a, b in zip(rollup["changes"], raw["changes"])],
    }
    print(json.dumps(summary, ensure_ascii=False))


def settle(app) -> None:
    from PyQt6.QtCore import QThreadPool

    for _ in range(3):
        QThreadPool.globalInstance().waitForDone()
        app.processEvents()


def wait(app, done: list[int], generation: int, timeout_s: float = 300.0, view=None) -> None:
    """Run the event loop until `generation` has loaded: it sleeps in exec() as the app's does
    (a processEvents/sleep spin would take the GIL from the worker doing the read)."""
    from PyQt6.QtCore import QEventLoop, QTimer

    if generation in done:
        return
    loop = QEventLoop()
    connection = view.loaded.connect(lambda g: loop.quit() if g == generation else None)
    timer = QTimer(singleShot=True, interval=int(timeout_s * 1000), timeout=loop.quit)
    timer.start()
    loop.exec()
    timer.stop()
    view.loaded.disconnect(connection)
    if generation not in done:
        raise TimeoutError(f"range change {generation} did not load in {timeout_s} s: {view.status_label.text()}")


if __name__ == "__main__":
    main()
