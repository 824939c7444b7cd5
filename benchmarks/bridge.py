"""Core -> GUI bridge: GUI-thread work during a reading flood, by changed address vs by reading.

A worker thread publishes N readings over A addresses on the core's bus (a real LiveState and
CoreBridge) while the GUI thread runs its event loop; every address is bound to a widget-like
callback, as the readings table's rows are. Measured until every address shows its last value:
the GUI thread's CPU seconds and the callbacks it ran. Baseline, same run: the previous design,
in which the bridge handed the GUI every reading (one list per 100 ms tick, drained from a
SimpleQueue) and each consumer looked every reading up.

Runs offscreen, no broker needed. Prints one JSON line last.
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from datetime import datetime, timedelta, timezone

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PyQt6.QtCore import QObject, QTimer, pyqtSignal  # noqa: E402
from PyQt6.QtWidgets import QApplication  # noqa: E402

from controlroom.bus import EventBus  # noqa: E402
from controlroom.domain import Reading  # noqa: E402
from controlroom.live_state import LiveState  # noqa: E402
from controlroom.ui.shell.bridge import CoreBridge  # noqa: E402

N = 200_000
ADDRESSES = 200
BATCH = 50  # readings per bus batch (one MQTT read burst)


class EveryReadingBridge(QObject):
    """The baseline: every reading crosses to the GUI thread, one list per tick."""

    readings = pyqtSignal(list)

    def __init__(self, bus: EventBus) -> None:
        super().__init__()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        bus.subscribe(Reading, self._queue.put, batch=lambda run: self._queue.put(list(run)))
        self._timer = QTimer(self, interval=100, timeout=self.drain)
        self._timer.start()

    def drain(self) -> None:
        batch: list[Reading] = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            batch.extend(item if isinstance(item, list) else (item,))
        if batch:
            self.readings.emit(batch)


def publisher(bus: EventBus) -> threading.Thread:
    now = datetime.now(timezone.utc)
    readings = [Reading(f"s{i % ADDRESSES:03d}", "v", now + timedelta(microseconds=i), float(i)) for i in range(N)]
    batches = [readings[i:i + BATCH] for i in range(0, N, BATCH)]
    return threading.Thread(target=lambda: [bus.publish_batch(b) for b in batches], name="bench-publisher")


def measure(app: QApplication, kind: str) -> dict:
    bus = EventBus()
    live = LiveState(bus)
    shown: dict[str, float] = {}
    calls = [0]
    last = {f"sensor/s{a:03d}/v": float(N - ADDRESSES + a) for a in range(ADDRESSES)}

    def show(address: str, value: float) -> None:
        calls[0] += 1
        shown[address] = value

    if kind == "by_address":
        bridge = CoreBridge(bus, live)
        for address in last:
            bridge.bind(address, lambda reading, a=address: show(a, reading.value))
    else:
        bridge = EveryReadingBridge(bus)
        rows = set(last)

        def apply(batch: list[Reading]) -> None:
            for reading in batch:
                if reading.address in rows:
                    show(reading.address, reading.value)

        bridge.readings.connect(apply)
    thread = publisher(bus)
    start = time.perf_counter()
    cpu_start = time.thread_time()
    thread.start()
    deadline = start + 120
    while shown != last and time.perf_counter() < deadline:
        app.processEvents()  # the benchmark's own event loop; the app uses app.exec()
        time.sleep(0.001)
    elapsed = time.perf_counter() - start
    gui_cpu = time.thread_time() - cpu_start
    thread.join()
    if shown != last:
        raise SystemExit(f"{kind}: the last values did not all arrive")
    if kind == "by_address":
        bridge.close()
    return {"seconds": elapsed, "gui_cpu_s": gui_cpu, "callbacks": calls[0]}


def main() -> None:
    app = QApplication([])
    baseline = measure(app, "every_reading")
    ours = measure(app, "by_address")
    print(json.dumps({
        "name": "bridge",
        "readings": N,
        "addresses": ADDRESSES,
        "gui_cpu_s": round(ours["gui_cpu_s"], 3),
        "baseline_gui_cpu_s": round(baseline["gui_cpu_s"], 3),
        "ratio": round(baseline["gui_cpu_s"] / ours["gui_cpu_s"], 1) if ours["gui_cpu_s"] else None,
        "gui_callbacks": ours["callbacks"],
        "baseline_gui_callbacks": baseline["callbacks"],
        "seconds_to_last_value": round(ours["seconds"], 3),
        "baseline_seconds_to_last_value": round(baseline["seconds"], 3),
        "lost": 0,
    }))


if __name__ == "__main__":
    main()
