"""Startup probe for benchmarks/startup.py: when CONTROLROOM_STARTUP_PROBE names a file, the
app writes there how long after launch (CONTROLROOM_LAUNCH_T0, epoch seconds set by the
launcher) the first camera frame reached a tile and the first live reading reached the
GUI, then quits. Without the variable nothing is installed."""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

from PyQt6.QtCore import QObject, QTimer
from PyQt6.QtWidgets import QApplication, QWidget

log = logging.getLogger(__name__)

PROBE_ENV = "CONTROLROOM_STARTUP_PROBE"
T0_ENV = "CONTROLROOM_LAUNCH_T0"
GIVE_UP_S = 120.0


class StartupProbe(QObject):
    def __init__(self, app: QApplication, window: QWidget, bridge, path: Path, t0: float) -> None:
        super().__init__(window)
        self.app, self.window, self.path, self.t0 = app, window, path, t0
        self.result: dict[str, float | None] = {"first_frame_s": None, "first_reading_s": None,
                                                "window_shown_s": time.time() - t0}
        bridge.readings_changed.connect(self._on_readings)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._poll)
        self._timer.start(5)
        QTimer.singleShot(round(GIVE_UP_S * 1000), self._finish)

    def _on_readings(self, _batch) -> None:
        if self.result["first_reading_s"] is None:
            self.result["first_reading_s"] = time.time() - self.t0
            self._maybe_finish()

    def _poll(self) -> None:
        if self.result["first_frame_s"] is None:
            from controlroom.widgets.camera_tile import CameraTile

            if any(t.seq >= 0 and t.isVisible() for t in self.window.findChildren(CameraTile)):
                self.result["first_frame_s"] = time.time() - self.t0
        self._maybe_finish()

    def _maybe_finish(self) -> None:
        if all(self.result[k] is not None for k in ("first_frame_s", "first_reading_s")):
            self._finish()

    def _finish(self) -> None:
        if self._timer.isActive():
            self._timer.stop()
            self.path.write_text(json.dumps(self.result), encoding="utf-8")
            self.app.exit(0)


def install_probe(app: QApplication, window: QWidget, bridge) -> StartupProbe | None:
    target = os.environ.get(PROBE_ENV)
    if not target:
        return None
    try:
        t0 = float(os.environ.get(T0_ENV, ""))
    except ValueError:
        log.warning("%s missing or not a number; measuring from now", T0_ENV)
        t0 = time.time()
    return StartupProbe(app, window, bridge, Path(target), t0)
