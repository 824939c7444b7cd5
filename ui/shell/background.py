"""Run blocking work (disk, subprocesses, database reads) off the GUI thread.

`run_in_background(fn, on_done, on_error)` runs `fn()` on Qt's global thread pool and calls
`on_done(result)` or `on_error(exception)` back on the GUI thread through a queued signal.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from PyQt6.QtCore import QObject, QRunnable, QThreadPool, pyqtSignal

log = logging.getLogger(__name__)


class _Relay(QObject):
    done = pyqtSignal(object)
    failed = pyqtSignal(object)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._fn = fn
        self._relay = relay

    def run(self) -> None:
        try:
            result = self._fn()
        except Exception as exc:  # handed to the GUI's on_error, which tells the operator
            log.exception("background task failed")
            self._relay.failed.emit(exc)
        else:
            self._relay.done.emit(result)


_live_relays: set[_Relay] = set()  # keep relays alive until their task reported back


def run_in_background(fn: Callable[[], Any], on_done: Callable[[Any], None],
                      on_error: Callable[[Exception], None] | None = None) -> None:
    relay = _Relay()  # created on the GUI thread, so its signals are delivered there
    _live_relays.add(relay)

    def finish(callback, value) -> None:
        _live_relays.discard(relay)
        if callback is not None:
            callback(value)

    relay.done.connect(lambda result: finish(on_done, result))
    relay.failed.connect(lambda exc: finish(on_error, exc))
    QThreadPool.globalInstance().start(_Task(fn, relay))
