"""Map benchmark: time from app start to map ready, and marker-update latency.

Runs the real map panel in QtWebEngine (offscreen) inside a main window, with the tile server
unreachable (a closed loopback port): nothing leaves the machine. The demo commune is widened
to exactly 200 live markers (41 + 106 extra cameras, 45 loudspeakers, 8 sensors); each round
changes all 200 at once through the core's bus and waits until the page has painted them.

Prints one JSON line last:
  map_ready_s                 app start (before QApplication) -> map page ready with every marker
  window_shown_s              app start -> main window shown (the map must not delay this)
  marker_update_ms_p50/p99    bus publish of 200 changes -> page painted them (includes the
                              bridge's 100 ms drain timer and the map's 100 ms coalescing timer)
  push_to_paint_ms_p50/p99    the map's one JSON message sent -> page painted
  js_apply_ms_p50             time spent in the page's JS applying one batch of 200 changes
  baseline_*                  the same with 1 marker changing, same run; ratio = p50(200)/p50(1)
"""

from __future__ import annotations

import time

T_START = time.perf_counter()

import json  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from datetime import datetime, timezone  # noqa: E402

ROUNDS = int(os.environ.get("MAP_BENCH_ROUNDS", "30"))
TIMEOUT_S = 60.0


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
os.environ["CONTROLROOM_DATA_DIR"] = tempfile.mkdtemp(prefix="map-bench-")
os.environ["CONTROLROOM_TILE_URL"] = f"http://127.0.0.1:{_closed_port()}/{{z}}/{{x}}/{{y}}.png"

import PyQt6.QtWebEngineWidgets  # noqa: E402,F401  (before the QApplication)
from PyQt6.QtTest import QTest  # noqa: E402
from PyQt6.QtWidgets import QApplication, QMainWindow  # noqa: E402

from controlroom.widgets.map_view import register_map_scheme  # noqa: E402

register_map_scheme()


def wide_config():
    """The demo commune with extra cameras so that exactly 200 markers are live."""
    from controlroom.config import Config, demo_config_path, load_config

    base = load_config(demo_config_path())
    raw = base.model_dump(mode="json")
    extra = 200 - len(base.cameras) - len(base.speakers) - len(base.sensors)
    template = raw["cameras"][0]
    for i in range(extra):
        village = base.villages[i % len(base.villages)]
        raw["cameras"].append(
            dict(template, id=f"cam_x{i:03d}", name=f"Camera phụ {i + 1}", village=village.id,
                 lat=village.lat + ((i * 7) % 11 - 5) * 0.0004, lon=village.lon + ((i * 5) % 13 - 6) * 0.0004)
        )
    return Config.model_validate(raw)


def wait_until(predicate, timeout_s: float = TIMEOUT_S) -> None:
    deadline = time.perf_counter() + timeout_s
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError("the map did not answer in time")
        QTest.qWait(1)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    from controlroom.core import ControlRoomCore
    from controlroom.domain import DeviceStatus, Reading, SpeakerStatus
    from controlroom.ui.shell.bridge import CoreBridge
    from controlroom.ui.shell.context import AppContext
    from controlroom.ui.map.panel import MapPanel

    app = QApplication(sys.argv[:1])  # noqa: F841 - lives for the run
    config = wide_config()
    workdir = tempfile.mkdtemp(prefix="bench-map-core-")
    core = ControlRoomCore(config, db_url=f"sqlite:///{workdir}/map.sqlite3", broker_port=_closed_port(),
                           monitor_cameras=False)  # no broker: the bench feeds the core's bus directly
    core.start()
    bus = core.bus
    bridge = CoreBridge(bus, core.live)
    context = AppContext(config=config, core=core, bridge=bridge)
    window = QMainWindow()
    panel = MapPanel(context, window)
    window.setCentralWidget(panel)
    window.resize(1920, 1080)
    window.show()
    window_shown_s = time.perf_counter() - T_START

    acked: dict[int, float] = {}
    apply_ms: dict[int, float] = {}
    pushed_at: list[float] = []
    wait_until(lambda: panel.view is not None)
    panel.view.batchApplied.connect(lambda seq, ms: (acked.setdefault(seq, time.perf_counter()), apply_ms.setdefault(seq, ms)))
    panel.view.bridge.pushed.connect(lambda _json: pushed_at.append(time.perf_counter()))
    wait_until(lambda: 0 in acked)  # the first full snapshot is painted
    map_ready_s = acked[0] - T_START
    markers = len(config.cameras) + len(config.speakers) + len(config.sensors)

    state = {"online": True}

    def change_all() -> None:
        state["online"] = not state["online"]
        now = datetime.now(timezone.utc)
        for camera in config.cameras:
            bus.publish(DeviceStatus(camera.id, state["online"], now))
        for speaker in config.speakers:
            bus.publish(SpeakerStatus(speaker.id, "playing" if state["online"] else "idle", 70, None, now))
        for sensor in config.sensors:
            metric = next(iter(sensor.metrics))
            value = (4.0 if sensor.kind == "water_level" else 120.0) if state["online"] else 0.5
            bus.publish(Reading(sensor.id, "level" if sensor.kind == "water_level" else ("pm25" if sensor.kind == "air_quality" else metric), now, value))

    def change_one() -> None:  # flip one camera, whatever state the 200-marker rounds left it in
        camera = config.cameras[0].id
        online = panel.model.marker(f"camera/{camera}")["state"] != "live"
        bus.publish(DeviceStatus(camera, online, datetime.now(timezone.utc)))

    def measure(change) -> tuple[list[float], list[float], list[float]]:
        total, push, js = [], [], []
        for _ in range(ROUNDS):
            seq = panel.view.batches_sent
            pushes = len(pushed_at)
            t0 = time.perf_counter()
            change()
            wait_until(lambda: seq in acked)
            total.append((acked[seq] - t0) * 1000)
            push.append((acked[seq] - pushed_at[pushes]) * 1000)
            js.append(apply_ms[seq])
            QTest.qWait(20)
        return total, push, js

    change_all()  # warm-up: every marker leaves "no data yet"
    wait_until(lambda: panel.view.batches_sent in acked or panel.view.batches_sent - 1 in acked)
    QTest.qWait(300)
    many_total, many_push, many_js = measure(change_all)
    one_total, one_push, _ = measure(change_one)

    # a check that the page really holds the last state (not only that it answered)
    box = {}
    panel.view.run_js(f"crLive.info('camera/{config.cameras[-1].id}').domState", lambda v: box.setdefault("v", v))
    wait_until(lambda: "v" in box)
    expected = "live" if state["online"] else "offline"  # cameras[-1] keeps the last 200-marker state
    basemap = panel.basemap_status()
    panel.shutdown()
    context.shutdown()
    bridge.close()
    window.close()
    core.stop()

    p50 = statistics.median(many_total)
    base_p50 = statistics.median(one_total)
    result = {
        "name": "map",
        "markers": markers,
        "rounds": ROUNDS,
        "window_shown_s": round(window_shown_s, 3),
        "map_ready_s": round(map_ready_s, 3),
        "marker_update_ms_p50": round(p50, 1),
        "marker_update_ms_p99": round(percentile(many_total, 99), 1),
        "push_to_paint_ms_p50": round(statistics.median(many_push), 1),
        "push_to_paint_ms_p99": round(percentile(many_push, 99), 1),
        "js_apply_ms_p50": round(statistics.median(many_js), 1),
        "baseline_one_marker_ms_p50": round(base_p50, 1),
        "baseline_one_marker_push_to_paint_ms_p50": round(statistics.median(one_push), 1),
        "ratio": round(p50 / base_p50, 2) if base_p50 else None,
        "page_state_ok": box["v"] == expected,
        "basemap": basemap,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
