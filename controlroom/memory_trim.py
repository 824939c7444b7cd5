"""Memory the process freed goes back to the system once a minute (Linux with glibc; elsewhere
nothing is done).

glibc gives busy threads malloc arenas of their own, and what is freed in an arena stays there
for reuse, also when no thread will need that much again. `malloc_trim(0)` returns every whole
free page of every arena, 2-13 ms a call on a console, on its own thread. Measured on two
consoles attached to one service for 13 minutes (benchmarks/service_soak.py's set-up, the
simulator at 240x): 7.5 MB less resident with it (472.7 against 480.2 MB), the same CPU (232.8
against 234.0 s); the service 19 MB lower (152.4-152.9 MB five minutes in, 171.2-171.3 in runs
without it). It does not change how fast a console's resident memory creeps (+6.0 and
+6.1 MB over the same 8 minutes, its in-use heap level): that is free space too scattered to
make whole pages. Capping the arenas (MALLOC_ARENA_MAX=2) held that flat, but the console spent
11 % more CPU: its threads queued for the two arenas' locks.
"""

from __future__ import annotations

import ctypes
import logging
import sys
import threading
import time
from typing import Callable

log = logging.getLogger(__name__)

TRIM_EVERY_S = 60.0

_lock = threading.Lock()
_thread: threading.Thread | None = None


def _malloc_trim() -> Callable[[], int] | None:
    """glibc's malloc_trim(0), or None where there is none (Windows, macOS, musl)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return lambda: trim(0)


def start_memory_trim(every_s: float = TRIM_EVERY_S) -> bool:
    """Start the process's one trimming thread (a daemon; later calls do nothing). False where
    the C library has no malloc_trim."""
    global _thread
    trim = _malloc_trim()
    if trim is None:
        return False
    with _lock:
        if _thread is None:
            _thread = threading.Thread(target=_run, args=(trim, every_s), name="memory-trim", daemon=True)
            _thread.start()
            log.debug("freed memory returned to the system every %.0f s", every_s)
    return True


def _run(trim: Callable[[], int], every_s: float) -> None:
    while True:  # as long as the process lives (a daemon thread)
        time.sleep(every_s)
        try:
            trim()
        except Exception:  # housekeeping must never take the process down
            log.exception("malloc_trim failed; no more trimming")
            return
