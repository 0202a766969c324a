"""The serving process's garbage collector: its startup heap frozen, full collections rarer.

A REST consume or produce of 500 events makes thousands of short-lived containers; the ones
alive when a young collection runs move on to older generations, and CPython then runs a
full collection (every tracked object of the process) every fraction of a second. With the
heap a server process holds after its start (FastAPI, pydantic, SQLAlchemy, the schemas:
about a million objects), each took 140-200 ms, during which no request moved: under the
``benchmarks/server.py --remote`` load, one every 0.6 s, the p99 of every route.
"""

from __future__ import annotations

import gc

FULL_COLLECTION_EVERY = 100
"""Young-generation collections between two full ones (CPython's default: 10). Garbage in
reference cycles that outlives a young collection waits ten times longer to be freed; most
of a request's objects are freed by reference counting and never wait for a collection."""


def settle_heap() -> None:
    """Freeze what is alive now out of the collector's sight and make full collections rarer.

    Called once by ``streammesh up`` after the application is built, before it serves: the
    modules, the opened mesh and the application then stay in a permanent generation that
    no collection walks (``gc.freeze``), so a full collection looks only at what was made
    since. Not for a process that starts and drops many applications (tests): what is frozen
    is never collected, cycles included.
    """
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)
