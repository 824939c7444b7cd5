"""GUI latency of the real console during a flat-out ingest flood, against the same run's idle.

The whole console in one process, offscreen at 1920x1080: the demo commune's core (feed with
acknowledgement after storage, writer on SQLite, alert engine, broadcasting, flood duty, 41
synthetic cameras) and the main window with every panel (map, camera wall, graphs, dashboard,
readings, alert queue, devices, broadcast, flood duty). A probe QTimer every 10 ms on the GUI
thread records how late it fires. First the idle console (baseline), then publisher processes
flood the demo's own sensors as fast as they can, until every reading is stored.

With --attached the duties run where they do in the room: `ControlRoomService` in a process of
its own stores and judges the flood, and the console is attached to it (it shows the readings,
mirrors the alerts and decodes the cameras); the flood ends when the service has stored it all.

Prints one JSON line last. Run: python benchmarks/gui_probe.py [--attached] [--messages N] [--idle-s S]
`LatencyProbe`, `GuiSide`, `run_gui_until` and `idle_gui_latency` serve benchmarks/ingest.py too.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing as mp
import os
import socket
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path


class LatencyProbe:
    """A 10 ms QTimer on the GUI thread; each lateness (gap - interval) is one sample."""

    def __init__(self, interval_ms: int = 10) -> None:
        from PyQt6.QtCore import Qt, QTimer

        self.interval_s = interval_ms / 1000.0
        self.samples: list[float] = []
        self._last: float | None = None
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._timer.setInterval(interval_ms)

    def start(self) -> None:
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.samples.append(max(0.0, now - self._last - self.interval_s) * 1000.0)
        self._last = now

    def summary(self) -> dict:
        data = sorted(self.samples) or [0.0]
        return {
            "p50": data[len(data) // 2],
            "p99": data[min(len(data) - 1, int(len(data) * 0.99))],
            "max": data[-1],
            "samples": len(self.samples),
        }


class GuiSide:
    """The console's Qt side on a bus (ingest benchmark): bridge -> ReadingsTable, plus LiveState."""

    def __init__(self, config, bus, fixed_columns: bool = False) -> None:
        from controlroom.live_state import LiveState
        from controlroom.ui.shell.bridge import CoreBridge
        from controlroom.widgets.readings_table import ReadingsTable

        self.live = LiveState(bus)
        self.bridge = CoreBridge(bus, self.live)
        self.table = ReadingsTable(config, self.live)
        self.table.resize(1200, 900)
        self.bridge.readings_changed.connect(self.table.apply_changed)
        self.table.show()
        gc.freeze()  # as ui/shell/app.py does once the window is up
        if fixed_columns:  # diagnosis: without the widget's ResizeToContents columns
            from PyQt6.QtWidgets import QHeaderView

            header = self.table.horizontalHeader()
            for column in range(header.count()):
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)

    def close(self) -> None:
        self.bridge.close()
        self.table.close()
        self.table.deleteLater()


class StackSampler:
    """Diagnosis (--profile): samples the GUI thread's Python stack every 5 ms from a thread of
    its own; `top()` names the frames it was found in most (GIL waits show as the last frame)."""

    def __init__(self) -> None:
        import collections
        import threading

        self._target = threading.main_thread().ident
        self._counts: collections.Counter = collections.Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gui-stack-sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            frame = sys._current_frames().get(self._target)
            stack = []
            while frame is not None and len(stack) < 12:
                stack.append(f"{Path(frame.f_code.co_filename).name}:{frame.f_code.co_name}")
                frame = frame.f_back
            self._counts[" < ".join(stack[:6])] += 1

    def top(self, n: int = 15) -> list[tuple[int, str]]:
        return [(count, stack) for stack, count in self._counts.most_common(n)]


def run_gui_until(condition, timeout_s: float) -> None:
    """Run the Qt event loop (main thread) until `condition()` holds, polled every 50 ms."""
    from PyQt6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    deadline = time.monotonic() + timeout_s
    poll = QTimer()
    poll.timeout.connect(lambda: loop.quit() if condition() or time.monotonic() > deadline else None)
    poll.start(50)
    loop.exec()
    poll.stop()


def idle_gui_latency(seconds: float = 1.0) -> dict:
    """The probe with nothing else running: the machine's own noise floor."""
    probe = LatencyProbe()
    probe.start()
    end = time.monotonic() + seconds
    run_gui_until(lambda: time.monotonic() >= end, seconds + 5)
    probe.stop()
    return probe.summary()


# -- the flood: the demo commune's own sensors, every metric, flat out ----------------------------

def demo_messages(config, count: int, base_ms: int) -> list[tuple[str, bytes]]:
    """`count` readings messages round-robin over the site's sensors (all metrics, values inside
    each metric's valid range, one millisecond apart per sensor: no duplicates)."""
    sensors = config.sensors
    messages = []
    for k in range(count):
        sensor = sensors[k % len(sensors)]
        values = {m: round(spec.valid_min + (spec.valid_max - spec.valid_min) * (0.1 + 0.3 * ((k * 7 + j) % 10) / 10), 3)
                  for j, (m, spec) in enumerate(sensor.metrics.items())}
        payload = json.dumps({"ts": base_ms + k // len(sensors), "values": values}).encode()
        messages.append((f"{config.topic_prefix}/sensor/{sensor.id}/reading", payload))
    return messages


def publisher_process(port: int, messages: list[tuple[str, bytes]], go, done, messages_per_s: float = 0.0) -> None:
    """Publish QoS-1 after `go`, as fast as the broker acknowledges (or paced to
    `messages_per_s`); report how many."""
    import paho.mqtt.client as mqtt
    from bench_broker import publish_all
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"gui-probe-pub-{os.getpid()}", protocol=mqtt.MQTTv5)
    client.max_inflight_messages_set(1000)
    client.connect("127.0.0.1", port)
    client.loop_start()
    go.wait()
    publish_all(client, messages, messages_per_s)
    client.disconnect()
    client.loop_stop()
    done.put(len(messages))


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_config(port: int):
    """The demo commune on the benchmark's broker, without the daily programme (no speech)."""
    from controlroom.config import demo_config_path, load_config

    config = load_config(demo_config_path())
    return config.model_copy(update={"mqtt": config.mqtt.model_copy(update={"port": port}),
                                     "broadcast": config.broadcast.model_copy(update={"schedule": []})})


def service_process(port: int, db_url: str, data_dir: str, ready, go, expected_q, done_q, stop) -> None:
    """The site's service in its own process: reports (stored, seconds) once `expected` new
    readings are stored after `go`."""
    from controlroom.service.runner import ControlRoomService

    service = ControlRoomService(bench_config(port), db_url=db_url, feed_options={"host": "127.0.0.1", "port": port},
                                 data_dir=Path(data_dir), client_id="gui-probe-service", monitor_cameras=False)
    service.start()
    service.core.feed.wait_subscribed(60)
    ready.set()
    expected = expected_q.get()
    rows0 = service.core.storage.stats.rows_written
    go.wait()
    t0 = time.monotonic()
    while service.core.storage.stats.rows_written - rows0 < expected and time.monotonic() - t0 < 600:
        time.sleep(0.02)
    done_q.put((service.core.storage.stats.rows_written - rows0, time.monotonic() - t0,
                service.core.alerts.shed_readings))
    stop.wait()
    service.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=30_000, help="readings messages in the flood")
    parser.add_argument("--processes", type=int, default=2, help="publisher processes")
    parser.add_argument("--idle-s", type=float, default=10.0, help="seconds of the idle baseline")
    parser.add_argument("--rate", type=float, default=0.0,
                        help="readings/s offered in total (0: flat out, as fast as the publishers can)")
    parser.add_argument("--profile", action="store_true", help="diagnosis: print where the GUI thread was, to stderr")
    parser.add_argument("--attached", action="store_true", help="the duties in a service process, the console attached")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="gui-probe-"))
    os.environ.update(QT_QPA_PLATFORM="offscreen", CONTROLROOM_DATA_DIR=str(workdir / "data"),
                      CONTROLROOM_CAMERA_SOURCE="synthetic",
                      CONTROLROOM_TILE_URL=f"http://127.0.0.1:{_closed_port()}/{{z}}/{{x}}/{{y}}.png")
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_broker import start_broker

    from controlroom.core import ControlRoomCore
    from controlroom.ui.shell.app import apply_theme, create_application
    from controlroom.ui.shell.bridge import CoreBridge
    from controlroom.ui.shell.context import AppContext
    from controlroom.ui.shell.main_window import MainWindow

    broker, port = start_broker(workdir)
    config = bench_config(port)
    db_url = f"sqlite:///{workdir / 'console.sqlite3'}"
    ctx = mp.get_context("spawn")
    go, done = ctx.Event(), ctx.Queue()
    service = None
    if args.attached:
        ready, expected_q, service_done, service_stop = ctx.Event(), ctx.Queue(), ctx.Queue(), ctx.Event()
        service = ctx.Process(target=service_process, args=(port, db_url, str(workdir / "service"), ready, go,
                                                            expected_q, service_done, service_stop),
                              name="gui-probe-service")
        service.start()
        if not ready.wait(120):
            raise SystemExit("the service did not start")
    app = create_application()
    apply_theme(app)
    core = ControlRoomCore(config, db_url=db_url, broker_port=port, client_id="gui-probe-console",
                           data_dir=workdir / "data", attached=args.attached)
    bridge = CoreBridge(core.bus, core.live)
    core.start()
    context = AppContext(config=config, core=core, bridge=bridge)
    window = MainWindow(context)
    window.resize(1920, 1080)
    window.show()
    try:
        map_panel = window.panel_widgets["map"]
        run_gui_until(lambda: core.feed.connected and map_panel.view is not None and map_panel.view.is_ready, 120)
        run_gui_until(lambda: False, 5.0)  # cameras open, first frames painted, first ticks done
        gc.freeze()  # as the app does once its window is up
        idle = idle_gui_latency(args.idle_s)

        base_ms = int((datetime.now(timezone.utc) - timedelta(hours=2)).timestamp() * 1000)
        messages = demo_messages(config, args.messages, base_ms)
        expected = sum(len(json.loads(p)["values"]) for _, p in messages)
        per_process_rate = args.rate * len(messages) / expected / args.processes if args.rate else 0.0
        if service is not None:
            expected_q.put(expected)
        share = len(messages) // args.processes + 1
        procs = [ctx.Process(target=publisher_process, args=(port, messages[i * share:(i + 1) * share], go, done,
                                                                  per_process_rate),
                             name=f"gui-probe-publisher-{i}") for i in range(args.processes)]
        for proc in procs:
            proc.start()
        run_gui_until(lambda: False, 2.0)  # the spawned interpreters import and connect
        rows0 = core.storage.stats.rows_written
        probe = LatencyProbe()
        sampler = StackSampler() if args.profile else None
        gc_pauses: list[tuple[int, float]] = []
        if sampler is not None:
            sampler.start()
            gc_started = [0.0]

            def on_gc(phase, info) -> None:
                if phase == "start":
                    gc_started[0] = time.perf_counter()
                else:
                    gc_pauses.append((info["generation"], (time.perf_counter() - gc_started[0]) * 1000))

            gc.callbacks.append(on_gc)
        probe.start()
        t0 = time.monotonic()
        go.set()
        if service is None:
            run_gui_until(lambda: core.storage.stats.rows_written - rows0 >= expected, 600)
        else:
            run_gui_until(lambda: not service_done.empty(), 600)
        seconds = time.monotonic() - t0
        probe.stop()
        if sampler is not None:
            sampler.stop()
            for count, stack in sampler.top():
                print(f"{count:6d}  {stack}", file=sys.stderr)
            long_gc = sorted(gc_pauses, key=lambda p: -p[1])[:5]
            print(f"garbage collections: {len(gc_pauses)}, longest (generation, ms): {long_gc}", file=sys.stderr)
        for proc in procs:
            proc.join(60)
        stored = core.storage.stats.rows_written - rows0
        shed = core.alerts.shed_readings
        if service is not None:
            stored, seconds, shed = service_done.get()
        flood = probe.summary()
    finally:
        window.close()
        context.shutdown()
        bridge.close()
        core.stop()
        if service is not None:
            service_stop.set()
            service.join(60)
        broker.terminate()
        broker.wait(10)
    print(json.dumps({
        "name": "gui_probe",
        "duties": "service process, console attached" if args.attached else "in the console",
        "panels": len(window.panel_widgets),
        "gui_latency_ms_p99": round(flood["p99"], 1),
        "gui_latency_ms_p50": round(flood["p50"], 1),
        "gui_latency_ms_max": round(flood["max"], 1),
        "baseline_idle_gui_latency_ms_p99": round(idle["p99"], 1),
        "baseline_idle_gui_latency_ms_max": round(idle["max"], 1),
        "ratio": round(flood["p99"] / idle["p99"], 2) if idle["p99"] else None,
        "offered_readings_per_s": args.rate or None,  # None: flat out
        "readings": expected,
        "stored": stored,
        "lost": expected - stored,
        "readings_per_s": round(stored / seconds),
        "seconds": round(seconds, 2),
        "alert_engine_shed_readings": shed,
        "samples": flood["samples"],
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }))


if __name__ == "__main__":
    main()
