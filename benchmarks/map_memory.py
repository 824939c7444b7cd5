"""Where does the map's web process grow? The map page alone, idle and then live, sampled.

Runs the real map panel in QtWebEngine (offscreen, the demo commune, tile server unreachable:
the offline case the soak runs in) on a core with no broker. Phase 1 (the baseline): the page
sits idle for `--minutes`. Phase 2: every second, like the live demo, a fifth of the markers
change state and every sensor sends a reading, for `--minutes`. Every `--interval` seconds it
samples the web process's resident memory (QtWebEngineProcess children of this process), the
page's JavaScript heap (performance.memory), its DOM node count and the tile errors Leaflet
counted. The JSON line gives each phase's growth per 10 minutes (a fitted line) and the
ratio live / idle, with the samples. A page that leaks per update grows in phase 2 only; a
growth in both is the page or the engine itself (tiles retried, timers).

With `--floods N`, phase 3: N floods in a row, each `--flood-minutes` of every river station
above its alarm level III (the alert engine raises its alerts, the map shows them pulsing) and
as long below level I; memory is sampled at the end of each calm spell. What a flood leaves
behind shows as a step from one calm spell to the next.

    .venv/bin/python benchmarks/map_memory.py [--minutes 5] [--interval 20] [--floods 4 --flood-minutes 2]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timezone

from bench_broker import free_port as closed_port  # a loopback port nobody listens on


os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# precise heap sizes (Chromium buckets performance.memory otherwise) and gc() for --gc
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --enable-precise-memory-info --js-flags=--expose-gc")
os.environ["CONTROLROOM_DATA_DIR"] = tempfile.mkdtemp(prefix="map-memory-")
os.environ["CONTROLROOM_TILE_URL"] = f"http://127.0.0.1:{closed_port()}/{{z}}/{{x}}/{{y}}.png"
os.environ["CONTROLROOM_CAMERA_SOURCE"] = "off"  # the page is measured; no camera is asked anything

import psutil  # noqa: E402
import PyQt6.QtWebEngineWidgets  # noqa: E402,F401  (before the QApplication)
from PyQt6.QtTest import QTest  # noqa: E402
from PyQt6.QtWidgets import QApplication, QMainWindow  # noqa: E402

from controlroom.widgets.map_view import register_map_scheme  # noqa: E402

register_map_scheme()

PAGE_PROBE = ("(window.crForceGc && window.gc && gc(), JSON.stringify({heap: performance.memory ? performance.memory.usedJSHeapSize : null,"
              " nodes: document.getElementsByTagName('*').length, tiles: crLive.stats().tileErrors}))")


def web_rss_mb() -> float:
    total = 0
    for child in psutil.Process().children(recursive=True):
        try:
            if "QtWebEngine" in child.name():
                total += child.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total / 2**20


def per_10_min(samples: list[dict], key: str) -> float:
    """Least-squares slope of `key` over the samples' minutes, times ten."""
    xs = [s["minute"] for s in samples]
    ys = [s[key] for s in samples]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return 10 * sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / spread if spread else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="length of each phase")
    parser.add_argument("--interval", type=float, default=20.0, help="seconds between samples")
    parser.add_argument("--gc", action="store_true", help="collect the page's garbage before each sample "
                        "(growth that stays is not JavaScript garbage waiting for the collector)")
    parser.add_argument("--floods", type=int, default=0, help="phase 3: floods in a row")
    parser.add_argument("--flood-minutes", type=float, default=2.0, help="a flood's length, and the calm after it")
    args = parser.parse_args()

    from controlroom.config import demo_config_path, load_config
    from controlroom.core import ControlRoomCore
    from controlroom.domain import DeviceStatus, Reading, SpeakerStatus
    from controlroom.ui.map.panel import MapPanel
    from controlroom.ui.shell.bridge import CoreBridge
    from controlroom.ui.shell.context import AppContext

    app = QApplication(sys.argv[:1])  # noqa: F841 - lives for the run
    config = load_config(demo_config_path())
    workdir = tempfile.mkdtemp(prefix="map-memory-core-")
    core = ControlRoomCore(config, db_url=f"sqlite:///{workdir}/map.sqlite3", broker_port=closed_port(),
                           monitor_cameras=False)
    core.start()
    bridge = CoreBridge(core.bus, core.live)
    context = AppContext(config=config, core=core, bridge=bridge)
    window = QMainWindow()
    panel = MapPanel(context, window)
    window.setCentralWidget(panel)
    window.resize(1920, 1080)
    window.show()
    deadline = time.monotonic() + 120
    while (panel.view is None or not panel.view.is_ready) and time.monotonic() < deadline:
        QTest.qWait(50)
    if panel.view is None or not panel.view.is_ready:
        raise SystemExit("the map page never became ready")
    QTest.qWait(3000)  # the first snapshot painted, the first tiles failed
    if args.gc:
        panel.view.run_js("window.crForceGc = true", lambda _v: None)

    def probe() -> dict:
        box: dict = {}
        panel.view.run_js(PAGE_PROBE, lambda value: box.setdefault("v", value))
        end = time.monotonic() + 30
        while "v" not in box and time.monotonic() < end:
            QTest.qWait(20)
        page = json.loads(box.get("v") or "{}")
        return {"web_rss_mb": round(web_rss_mb(), 1), "js_heap_mb": round((page.get("heap") or 0) / 2**20, 2),
                "dom_nodes": page.get("nodes"), "tile_errors": page.get("tiles")}

    rng = random.Random(1)
    online = {c.id: True for c in config.cameras}

    def live_second() -> None:
        now = datetime.now(timezone.utc)
        for camera in rng.sample(config.cameras, max(1, len(config.cameras) // 5)):
            online[camera.id] = not online[camera.id]
            core.bus.publish(DeviceStatus(camera.id, online[camera.id], now))
        for speaker in rng.sample(config.speakers, max(1, len(config.speakers) // 5)):
            core.bus.publish(SpeakerStatus(speaker.id, rng.choice(["idle", "playing"]), 70, None, now))
        for sensor in config.sensors:
            for metric in sensor.metrics:
                core.bus.publish(Reading(sensor.id, metric, now, rng.uniform(0.5, 3.0)))

    def phase(live: bool) -> list[dict]:
        samples = []
        start = time.monotonic()
        next_sample = start
        while True:
            elapsed = time.monotonic() - start
            if time.monotonic() >= next_sample:
                samples.append({"minute": round(elapsed / 60, 2), **probe()})
                print(json.dumps({"live": live, **samples[-1]}), file=sys.stderr, flush=True)
                next_sample += args.interval
            if elapsed >= args.minutes * 60:
                return samples
            if live:
                live_second()
            QTest.qWait(1000)

    rivers = [s for s in config.sensors if s.alarm_levels is not None]

    def river_levels(flooding: bool) -> None:
        now = datetime.now(timezone.utc)
        for sensor in rivers:
            levels = sensor.alarm_levels
            value = levels.level_3 + 0.5 if flooding else levels.level_1 - 0.5
            for metric in sensor.metrics:
                core.bus.publish(Reading(sensor.id, metric, now, value))

    def flood_cycles() -> list[dict]:
        calm = []
        start = time.monotonic()
        for flood in range(args.floods):
            for flooding in (True, False):
                until = time.monotonic() + args.flood_minutes * 60
                while time.monotonic() < until:
                    live_second()
                    river_levels(flooding)
                    QTest.qWait(1000)
            alerts = sum(1 for a in core.alerts.snapshot().alerts if a.active)
            calm.append({"flood": flood + 1, "minute": round((time.monotonic() - start) / 60, 2),
                         "active_alerts": alerts, **probe()})
            print(json.dumps({"after_flood": calm[-1]}), file=sys.stderr, flush=True)
        return calm

    idle = phase(False)
    live = phase(True)
    floods = flood_cycles() if args.floods else []
    panel.shutdown()
    context.shutdown()
    bridge.close()
    window.close()
    core.stop()

    idle_growth = per_10_min(idle, "web_rss_mb")
    live_growth = per_10_min(live, "web_rss_mb")
    print(json.dumps({
        "name": "map_memory", "minutes_per_phase": args.minutes, "gc_before_samples": args.gc,
        "idle_web_rss_mb_per_10min": round(idle_growth, 1), "live_web_rss_mb_per_10min": round(live_growth, 1),
        "ratio": round(live_growth / idle_growth, 2) if abs(idle_growth) > 0.1 else None,
        "idle_js_heap_mb_per_10min": round(per_10_min(idle, "js_heap_mb"), 2),
        "live_js_heap_mb_per_10min": round(per_10_min(live, "js_heap_mb"), 2),
        "idle_dom_nodes": [idle[0]["dom_nodes"], idle[-1]["dom_nodes"]],
        "live_dom_nodes": [live[0]["dom_nodes"], live[-1]["dom_nodes"]],
        "tile_errors": [idle[0]["tile_errors"], live[-1]["tile_errors"]],
        "web_rss_mb": [idle[0]["web_rss_mb"], idle[-1]["web_rss_mb"], live[-1]["web_rss_mb"]],
        **({"after_each_flood": floods} if floods else {}),
    }))


if __name__ == "__main__":
    main()
