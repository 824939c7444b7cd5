"""Memory a thread freed in the middle of its malloc arena goes back to the system once the
trimming thread runs (in a child interpreter: the thread is process-wide)."""

import subprocess
import sys

import pytest

CHILD = """
import sys, threading, time
from controlroom.memory_trim import start_memory_trim

def rss_mb():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20

kept = []
def churn():  # ~80 MB in this thread's own arena; one block in 20 kept, so it cannot shrink from its top
    blocks = [bytes(2000) for _ in range(40_000)]
    kept.extend(blocks[::20])

worker = threading.Thread(target=churn)
worker.start()
worker.join()
before = rss_mb()
if sys.argv[1] == "trim":
    assert start_memory_trim(0.05) and start_memory_trim(0.05)  # a second call starts nothing
    assert [t.name for t in threading.enumerate()].count("memory-trim") == 1
deadline = time.monotonic() + float(sys.argv[2])
while rss_mb() > before - 40 and time.monotonic() < deadline:
    time.sleep(0.05)
print(before - rss_mb())
"""


def _returned_mb(mode: str, wait_s: float) -> float:
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(wait_s)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return float(out.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim: Linux only")
def test_freed_memory_goes_back_to_the_system():
    assert _returned_mb("none", 1.0) < 10  # left alone, glibc keeps the scattered free space
    assert _returned_mb("trim", 60.0) >= 40  # the trimming thread hands it back
