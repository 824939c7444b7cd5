"""The service's collector settings keep start-up objects out of full passes, and garbage with
reference cycles made afterwards is still freed (in a child interpreter: the settings are
process-wide)."""

import subprocess
import sys

CHILD = """
import gc, weakref
from controlroom.service.heap import YOUNG_GENERATION, settle_after_start

kept = [[i] for i in range(50_000)]  # built at start-up
settle_after_start()
assert gc.get_freeze_count() >= 50_000, gc.get_freeze_count()
assert gc.get_threshold()[0] == YOUNG_GENERATION

class Node:
    pass

freed = []
for _ in range(20):  # cycles made while running, then dropped
    a, b = Node(), Node()
    a.other, b.other = b, a
    weakref.finalize(a, freed.append, 1)
    del a, b
churn = [[i] for i in range(YOUNG_GENERATION * 3)]  # live objects piling up trigger collections
print(len(freed))
"""


def test_cycles_made_after_start_are_still_freed():
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) == 20
