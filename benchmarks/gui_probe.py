"""The console's Qt side for the ingest benchmark, and a probe of how late the GUI event loop runs.

LatencyProbe is a 10 ms QTimer on the GUI thread: each tick's lateness is one sample. GuiSide puts
the real CoreBridge and ReadingsTable (shown, painted) and LiveState on the core's bus.
"""

from __future__ import annotations

import gc
import time


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
    """The console's Qt side on the core's bus: bridge -> ReadingsTable, plus LiveState."""

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
