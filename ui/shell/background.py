"""The one way panels run blocking work (disk, network, database reads, subprocesses) off the
GUI thread; results come back on the GUI thread through queued signals.

- ``run_in_background(fn, on_done, on_error)``: Qt's global thread pool, for short jobs.
  With ``thread_name`` the job gets a named thread of its own instead (a slow job — the map
  page, ONVIF discovery, the daily report — must not hold the 2-core pool); with
  ``on_progress``, ``fn(progress)`` is given a callable whose calls reach ``on_progress``.
- ``SerialWorker(name)``: one named thread running jobs in order (calls that change the same
  service state one after another); after ``stop()`` late jobs are dropped.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from PyQt6.QtCore import QObject, QRunnable, QThreadPool, pyqtSignal

log = logging.getLogger(__name__)


class _Relay(QObject):
    done = pyqtSignal(object)
    failed = pyqtSignal(object)
    progress = pyqtSignal(tuple)


_live_relays: set[_Relay] = set()  # keep relays alive until their job reported back


class BackgroundJob:
    """A job started by `run_in_background`; `wait()` blocks until it ran (tests, shutdown)."""

    def __init__(self) -> None:
        self._finished = threading.Event()

    def wait(self, timeout_s: float | None = None) -> bool:
        return self._finished.wait(timeout_s)


class _Task(QRunnable):
    def __init__(self, body: Callable[[], None]) -> None:
        super().__init__()
        self._body = body

    def run(self) -> None:
        self._body()


def run_in_background(fn: Callable[..., Any], on_done: Callable[[Any], None] | None = None,
                      on_error: Callable[[Exception], None] | None = None, *, thread_name: str | None = None,
                      on_progress: Callable[..., None] | None = None) -> BackgroundJob:
    relay = _Relay()  # created on the GUI thread, so its signals are delivered there
    _live_relays.add(relay)
    job = BackgroundJob()

    def finish(callback, value) -> None:
        _live_relays.discard(relay)
        if callback is not None:
            callback(value)

    relay.done.connect(lambda result: finish(on_done, result))
    relay.failed.connect(lambda exc: finish(on_error, exc))
    if on_progress is not None:
        relay.progress.connect(lambda values: on_progress(*values))

    def body() -> None:
        try:
            result = fn(lambda *values: relay.progress.emit(values)) if on_progress is not None else fn()
        except Exception as exc:  # handed to the GUI's on_error, which tells the operator
            log.exception("background job %s failed", thread_name or getattr(fn, "__name__", fn))
            relay.failed.emit(exc)
        else:
            relay.done.emit(result)
        finally:
            job._finished.set()

    if thread_name is None:
        QThreadPool.globalInstance().start(_Task(body))
    else:
        threading.Thread(target=body, name=thread_name, daemon=True).start()
    return job


class SerialWorker:
    """One named thread for a panel's calls that must run in order; results on the GUI thread."""

    def __init__(self, name: str, on_error: Callable[[Exception], None] | None = None) -> None:
        """`on_error` reports a failed job whose caller gave no handler of its own."""
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._on_error = on_error
        self.closed = False

    def run(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[Exception], None] | None = None) -> None:
        if self.closed:  # the app is quitting: late refreshes are dropped
            return
        relay = _Relay()
        _live_relays.add(relay)

        def finish(callback, value) -> None:
            _live_relays.discard(relay)
            if callback is not None and not self.closed:
                callback(value)

        relay.done.connect(lambda result: finish(on_done, result))
        relay.failed.connect(lambda exc: finish(on_error or self._on_error, exc))

        def job() -> None:
            try:
                result = fn()
            except Exception as exc:  # reported to the operator by on_error, and logged
                log.exception("serial job failed")
                relay.failed.emit(exc)
            else:
                relay.done.emit(result)

        self._pool.submit(job)

    def stop(self) -> None:
        self.closed = True
        self._pool.shutdown(wait=True, cancel_futures=True)
