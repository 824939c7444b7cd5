"""A graph left following live for weeks: what it holds and what a redraw costs.

One water-level plot (the demo's Phú Ốc station, 24 h view, following live) offscreen at
1200x400 gets a reading every 60 s (the station's interval) for `--days` days, the view sliding
every simulated minute as it does on screen. Compared in the same run with the baseline: the
same plot with forgetting turned off, i.e. holding every point since it opened (as before).
Reports the points and megabytes held (ts, value) and the median time of a redraw (setData
and a synchronous render via grab()) at the end. Prints one JSON line last.

    .venv/bin/python benchmarks/live_plot.py [--days 30]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PyQt6.QtWidgets import QApplication  # noqa: E402

from controlroom.config import demo_config_path, load_config  # noqa: E402
from controlroom.widgets.plot_spec import PlotSpec  # noqa: E402
from controlroom.widgets.sensor_plot import SensorPlot  # noqa: E402

START = 1_790_000_000.0
DAY = 86400.0


class HoldsEverything(SensorPlot):
    """The baseline: the plot as it was, keeping every appended point (up to its hard cap)."""

    def forget_scrolled_out(self) -> None:
        return


def follow(plot_type, spec, tz, days: float, app) -> dict:
    clock = [START]
    plot = plot_type(spec, tz, now_fn=lambda: clock[0])
    plot.resize(1200, 400)
    plot.show()
    plot.set_series([START - 60.0], [1.0], start=START - DAY, end=START)
    plot.show_range(START - DAY, START, follow=True)
    minutes = int(days * 1440)
    for minute in range(1, minutes + 1):
        clock[0] = START + minute * 60.0
        plot.append([clock[0]], [1.0 + 0.5 * ((minute % 720) / 720)])
        plot.scroll_to_now()
        if minute % 1440 == 0:
            app.processEvents()
    times = []
    for _ in range(15):
        t0 = time.perf_counter()
        plot._redraw()
        plot.grab()
        times.append((time.perf_counter() - t0) * 1000)
    held = int(plot._ts.size)
    result = {"points_held": held, "mb_held": round((plot._ts.nbytes + plot._value.nbytes) / 2**20, 2),
              "redraw_ms_median": round(statistics.median(times), 2)}
    plot.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=float, default=30.0)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    config = load_config(demo_config_path())
    sensor = next(s for s in config.sensors if s.kind == "water_level")
    spec = PlotSpec.from_config(sensor, next(iter(sensor.metrics)))
    baseline = follow(HoldsEverything, spec, config.site.tz, args.days, app)
    forgetting = follow(SensorPlot, spec, config.site.tz, args.days, app)
    print(json.dumps({"name": "live_plot", "days_followed": args.days, "view": "24h", "interval_s": 60,
                      **{f"baseline_{k}": v for k, v in baseline.items()}, **forgetting,
                      "redraw_ratio": round(forgetting["redraw_ms_median"] / baseline["redraw_ms_median"], 3),
                      "points_ratio": round(forgetting["points_held"] / baseline["points_held"], 3)}))


if __name__ == "__main__":
    main()
