"""``/healthz``: whether the mesh behind this server can serve (no credentials).

It answers 503 while the metadata store or the event log cannot serve: a file deleted,
replaced, truncated or found damaged, a directory that cannot be written, a database that does
not answer a read. And it answers fast, whatever the rest of the server is doing: the handler
is ``async`` (it never waits for the request thread pool, which slow requests may fill) and
only reads the result of the last probe, whose store read uses a connection of its own (not
the pool's, which busy requests may all hold). A probe runs in a thread of its own, at most once a
second; the handler waits for a fresh one at most :data:`FRESH_WAIT_S`, and a probe still
running after :data:`STUCK_AFTER_S` is itself reported as a problem (a database that hangs
cannot serve either).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Protocol, runtime_checkable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from streammesh.errors import MeshError
from streammesh.server.context import ServerContext, server_context

router = APIRouter(tags=["health"])

PROBE_INTERVAL_S = 1.0
"""The checks run at most this often, however often ``/healthz`` is asked."""
FRESH_WAIT_S = 0.02
"""How long a request waits for a probe it started before answering with the last result."""
STUCK_AFTER_S = 5.0
"""A probe running longer than this means the store or log hangs: unhealthy."""


class Health(BaseModel):
    """The server's health: ``ok``, or ``unavailable`` with what cannot serve and why."""

    status: str
    problems: list[str] = []


@runtime_checkable
class _Checked(Protocol):
    """A log that can say cheaply whether it can serve (the embedded log)."""

    def check(self) -> None: ...


def mesh_problems(context: ServerContext) -> list[str]:
    """What keeps the mesh behind ``context`` from serving, as messages (empty: healthy).

    The store: its file checks, then one read on a connection of its own; the embedded log:
    its directory and file checks (a few system calls).
    """
    problems: list[str] = []
    checks: list[Callable[[], object]] = []
    checks.append(context.runtime.store.probe)
    if isinstance(context.runtime.log, _Checked):
        checks.append(context.runtime.log.check)
    for check in checks:
        try:
            check()
        except MeshError as exc:
            problems.append(str(exc))
    return problems


class HealthProbe:
    """Runs ``check`` in its own thread at most once per :data:`PROBE_INTERVAL_S`."""

    def __init__(self, check: Callable[[], list[str]]) -> None:
        self._check = check
        self._lock = threading.Lock()
        self._running: Future[list[str]] | None = None
        self._started = 0.0
        self._last: list[str] = []

    async def problems(self) -> list[str]:
        """The problems found by the freshest probe that has finished."""
        now = time.monotonic()
        with self._lock:
            running = self._running
            if running is None or (running.done() and now - self._started >= PROBE_INTERVAL_S):
                running = self._running = self._start()
                self._started = now
        if not running.done():
            with contextlib.suppress(TimeoutError):  # answer with the last result instead
                await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(running)), FRESH_WAIT_S)
        if running.done():
            self._last = running.result()
            return self._last
        if time.monotonic() - self._started > STUCK_AFTER_S:
            return [
                f"the health probe of the metadata store and event log has not finished in "
                f"{STUCK_AFTER_S:g} s: the store or the log does not answer"
            ]
        return self._last

    def _start(self) -> Future[list[str]]:
        future: Future[list[str]] = Future()

        def run() -> None:
            try:
                future.set_result(self._check())
            except Exception as exc:  # a probe must report, never die
                future.set_result([f"health probe failed: {type(exc).__name__}: {exc}"])

        # A daemon thread, not the request pool: a hanging probe never blocks requests or exit.
        threading.Thread(target=run, name="streammesh-healthz", daemon=True).start()
        return future


def _probe(request: Request) -> HealthProbe:
    state = request.app.state
    probe = getattr(state, "streammesh_health", None)
    if not isinstance(probe, HealthProbe):
        server_context(request)  # fail here on a wiring mistake, not in the probe thread
        # The context is read at each probe: a restarted app gets a new one.
        probe = state.streammesh_health = HealthProbe(lambda: mesh_problems(state.streammesh))
    return probe


@router.get(
    "/healthz",
    response_model=Health,
    responses={503: {"model": Health, "description": "The mesh cannot serve."}},
)
async def healthz(request: Request) -> JSONResponse:
    """``{"status": "ok"}``, or 503 with the problems while the mesh cannot serve."""
    problems = await _probe(request).problems()
    if problems:
        body = Health(status="unavailable", problems=problems)
        return JSONResponse(body.model_dump(), status_code=503)
    return JSONResponse(Health(status="ok").model_dump(exclude_defaults=True))
