"""Bus -> Qt bridge throughput: CoreBridge (one timer draining a SimpleQueue, readings in
batches) against a baseline that emits one queued signal per event from the worker thread.

Runs offscreen, no broker needed. Prints one JSON line last.
"""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import datetime, timedelta, timezone

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PyQt6.QtCore import QObject, Qt, pyqtSignal  # noqa: E402
from PyQt6.QtWidgets import QApplication  # noqa: E402

from controlroom.bus import EventBus  # noqa: E402
from controlroom.domain import Reading  # noqa: E402
from controlroom.ui.shell.bridge import CoreBridge  # noqa: E402

N = 100_000


class PerEventBridge(QObject):
    """The baseline: a queued signal per event, emitted on the publisher's thread."""

    reading = pyqtSignal(object)

    def __init__(self, bus: EventBus) -> None:
        super().__init__()
        bus.subscribe(Reading, self.reading.emit)


def publish_all(bus: EventBus) -> threading.Thread:
    now = datetime.now(timezone.utc)
    events = [Reading("aq_office", "pm25", now + timedelta(microseconds=i), float(i)) for i in range(N)]

    def run() -> None:
        for event in events:
            bus.publish(event)

    thread = threading.Thread(target=run, name="bench-publisher")
    return thread


def measure(app: QApplication, kind: str) -> tuple[float, float]:
    """(events per second end to end, GUI-thread CPU seconds per 100k events)."""
    bus = EventBus()
    received = [0]
    if kind == "bridge":
        bridge = CoreBridge(bus)
        bridge.readings.connect(lambda batch: received.__setitem__(0, received[0] + len(batch)))
    else:
        bridge = PerEventBridge(bus)
        bridge.reading.connect(lambda _e: received.__setitem__(0, received[0] + 1), Qt.ConnectionType.QueuedConnection)
    thread = publish_all(bus)
    start = time.perf_counter()
    cpu_start = time.thread_time()
    thread.start()
    deadline = start + 120
    while received[0] < N and time.perf_counter() < deadline:
        app.processEvents()  # the benchmark's own event loop; the app uses app.exec()
        time.sleep(0.001)
    elapsed = time.perf_counter() - start
    gui_cpu = time.thread_time() - cpu_start
    thread.join()
    if received[0] < N:
        raise SystemExit(f"{kind}: only {received[0]} of {N} delivered")
    if kind == "bridge":
        bridge.close()
    return N / elapsed, gui_cpu * 100_000 / N


def main() -> None:
    app = QApplication([])
    baseline, baseline_cpu = measure(app, "per_event_signal")
    bridged, bridged_cpu = measure(app, "bridge")
    print(json.dumps({
        "name": "bridge",
        "events": N,
        "events_per_s": round(bridged),
        "baseline_events_per_s": round(baseline),
        "ratio": round(bridged / baseline, 2),
        "gui_cpu_s_per_100k": round(bridged_cpu, 3),
        "baseline_gui_cpu_s_per_100k": round(baseline_cpu, 3),
        "gui_cpu_ratio": round(baseline_cpu / bridged_cpu, 2) if bridged_cpu else None,
        "lost": 0,
    }))


if __name__ == "__main__":
    main()
