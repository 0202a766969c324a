"""``settle_heap``: what ``streammesh up`` calls before serving, so that full collections of
the garbage collector stop walking the server's whole startup heap (each one stopped every
request for 140-200 ms under load; see ``benchmarks/README.md``)."""

from __future__ import annotations

import subprocess
import sys

from streammesh.server.heap import FULL_COLLECTION_EVERY

_PROBE = """
import gc, time
import streammesh.server.app  # the web stack, as a serving process holds it
from streammesh.server import settle_heap

def full_collection_s():
    started = time.perf_counter()
    gc.collect()
    return time.perf_counter() - started

before = min(full_collection_s() for _ in range(3))
settle_heap()
after = min(full_collection_s() for _ in range(3))
print(gc.get_freeze_count(), gc.get_threshold()[2], before, after)
"""


def test_a_settled_process_keeps_its_startup_heap_out_of_full_collections() -> None:
    # In a process of its own: what is frozen is never collected.
    probe = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=120, check=True
    )
    frozen, every, before, after = probe.stdout.split()

    assert int(frozen) > 100_000  # the modules' objects, out of every collection's walk
    assert int(every) == FULL_COLLECTION_EVERY
    assert float(after) < float(before) / 5  # a full collection walks what came since
