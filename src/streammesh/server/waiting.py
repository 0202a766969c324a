"""Requests that wait (long polls) without holding the shared worker pool.

Synchronous routes run in AnyIO's worker threads, 40 of them for the whole server: a route
that sleeps in one holds it, and ~40 waiting requests stall every other route (``/healthz``
included). So the routes that may wait do it elsewhere:

- a caught-up question waits on the event loop, running each cheap check in a thread of its
  own small pool (:meth:`ServerWaits.check`), and holds a :class:`WaitSlots` slot while it
  waits (4 per token and 64 per server process by default; more answer 429);
- work that must block while it waits (a REST consume's poll, a read at the end of the
  mesh-events feed) runs in threads of a separate, bounded pool
  (:meth:`ServerWaits.run_blocking`); requests beyond it queue there, holding no thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread
from fastapi import Request

from streammesh.observe import WaitLimits, WaitSlots

T = TypeVar("T")

CHECK_THREADS = 4
"""Threads for the checks of waiting caught-up questions: enough to keep them flowing,
few enough that thousands of checks a second cannot crowd out the other routes."""
BLOCKING_WAIT_THREADS = 32
"""Threads for work that blocks while it waits (REST consume, the mesh-events feed)."""


class ServerWaits:
    """The pools and slots of one app's waiting requests."""

    def __init__(self, limits: WaitLimits | None = None) -> None:
        self.slots = WaitSlots(limits)
        self._checks = anyio.CapacityLimiter(CHECK_THREADS)
        self._blocking = anyio.CapacityLimiter(BLOCKING_WAIT_THREADS)

    async def check(self, function: Callable[[], T]) -> T:
        """``function()`` (short: a read of the log or the store) in a check thread."""
        return await anyio.to_thread.run_sync(function, limiter=self._checks)

    async def run_blocking(self, function: Callable[[], T]) -> T:
        """``function()``, which may block for seconds, in a thread outside the shared pool."""
        return await anyio.to_thread.run_sync(function, limiter=self._blocking)


def server_waits(request: Request) -> ServerWaits:
    """The waits of the app serving ``request``, made at its first waiting request (on the
    event loop, so two requests cannot both make them)."""
    waits = getattr(request.app.state, "streammesh_waits", None)
    if not isinstance(waits, ServerWaits):
        waits = ServerWaits()
        request.app.state.streammesh_waits = waits
    return waits
