"""``/healthz`` (liveness) and ``/readyz`` (readiness), for a load balancer; no credentials.

``/healthz`` says only that the process answers: a load balancer or supervisor restarts a
process whose liveness fails, and restarting a replica because the database is down helps
nobody. ``/readyz`` says whether this replica can serve now: 200 ``{"status": "ready"}``, or
503 naming what failed (``store``, ``log``, ``keys``, or a stuck worker ``worker:notifier``)
and nothing else — the reasons go to the server's log, not to anonymous callers.

Each dependency check (the metadata store: its file checks and one read on a connection of
its own; the event log: the embedded log's file checks, or a metadata request to Kafka; the
key service, when it can be probed) runs in a daemon thread of its own, all at once, at most
once per :data:`PROBE_INTERVAL_S`; one that has not answered within :data:`CHECK_TIMEOUT_S`
counts as failed, and is not started again while it still hangs. So ``/readyz`` answers
within about :data:`CHECK_TIMEOUT_S`, whatever the store or the log does, and never waits for
the request thread pool (the handlers are ``async``). Workers are judged by their heartbeats
(:mod:`streammesh.heartbeat`), which costs nothing.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from streammesh.errors import MeshError
from streammesh.heartbeat import Heartbeat
from streammesh.runtime import MeshRuntime
from streammesh.server.context import server_context

_LOGGER = logging.getLogger(__name__)

router = APIRouter(tags=["health"])

PROBE_INTERVAL_S = 1.0
"""The checks run at most this often, however often ``/readyz`` is asked."""
CHECK_TIMEOUT_S = 2.0
"""A check that has not answered within this long has failed (the dependency hangs)."""


class Liveness(BaseModel):
    """The process answers."""

    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    """Whether this replica can serve: ``ready``, or ``unavailable`` with what failed.

    Attributes:
        status: ``ready`` or ``unavailable``.
        checks: Every check by name (``store``, ``log``, ``keys``, ``worker:<name>``):
            ``ok``, ``failed`` or ``stuck``.
        failed: The names of the checks that are not ``ok``.
    """

    status: Literal["ready", "unavailable"]
    checks: dict[str, Literal["ok", "failed", "stuck"]]
    failed: list[str] = []


@runtime_checkable
class _Checked(Protocol):
    """A dependency that can say cheaply whether it can serve (the embedded log, a key
    service)."""

    def check(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Check:
    """One dependency check: raises (anything) when the dependency cannot serve.

    Attributes:
        name: What is checked, as ``/readyz`` names it.
        run: The check.
    """

    name: str
    run: Callable[[], object]


def dependency_checks(runtime: MeshRuntime) -> list[Check]:
    """The checks of ``runtime``'s mesh: the store, the log, and the key service when it can
    be checked."""
    log = runtime.log
    checks = [Check("store", runtime.store.probe)]
    if isinstance(log, _Checked):  # the embedded log's files; a metadata request to Kafka
        checks.append(Check("log", log.check))
    try:
        kms: object = runtime.keys.kms
    except MeshError:  # opened without a key service: nothing to check
        return checks
    if isinstance(kms, _Checked):
        checks.append(Check("keys", kms.check))
    return checks


class _Running:
    """One check's latest run, in a daemon thread."""

    def __init__(self, check: Check) -> None:
        self.check = check
        self.started = time.monotonic()
        self.result: Future[str | None] = Future()  # the problem, or None when it passed
        threading.Thread(
            target=self._run, name=f"streammesh-readyz-{check.name}", daemon=True
        ).start()

    def _run(self) -> None:
        try:
            self.check.run()
        except Exception as exc:  # a check must report, never die
            self.result.set_result(f"{type(exc).__name__}: {exc}")
        else:
            self.result.set_result(None)


class ReadinessProbe:
    """Runs the dependency checks concurrently, each bounded by :data:`CHECK_TIMEOUT_S`,
    at most once per :data:`PROBE_INTERVAL_S`; judges the workers' heartbeats."""

    def __init__(
        self,
        checks: Callable[[], Sequence[Check]],
        heartbeats: Callable[[], Sequence[Heartbeat]],
    ) -> None:
        self._checks = checks
        self._heartbeats = heartbeats
        self._lock = threading.Lock()
        self._runs: dict[str, _Running] = {}
        self._reported: dict[str, str | None] = {}

    async def readiness(self) -> Readiness:
        """This replica's readiness (waits at most :data:`CHECK_TIMEOUT_S` for the checks)."""
        runs = self._start_due()
        pending = [asyncio.wrap_future(run.result) for run in runs if not run.result.done()]
        if pending:
            deadline = max(run.started for run in runs) + CHECK_TIMEOUT_S
            await asyncio.wait(pending, timeout=max(0.0, deadline - time.monotonic()))
        checks: dict[str, Literal["ok", "failed", "stuck"]] = {}
        for run in runs:
            problem = self._problem(run)
            checks[run.check.name] = "ok" if problem is None else "failed"
            self._log_change(run.check.name, problem)
        for beat in self._heartbeats():
            health = beat.health()
            name = f"worker:{health.name}"
            checks[name] = "stuck" if health.stuck else "ok"
            problem = f"no progress for {health.idle_s:.0f} s" if health.stuck else None
            self._log_change(name, problem)
        failed = [name for name, state in checks.items() if state != "ok"]
        return Readiness(status="unavailable" if failed else "ready", checks=checks, failed=failed)

    def _start_due(self) -> list[_Running]:
        now = time.monotonic()
        runs = []
        with self._lock:
            for check in self._checks():
                run = self._runs.get(check.name)
                hanging = run is not None and not run.result.done()
                if run is None or (not hanging and now - run.started >= PROBE_INTERVAL_S):
                    run = self._runs[check.name] = _Running(check)
                runs.append(run)
        return runs

    @staticmethod
    def _problem(run: _Running) -> str | None:
        if run.result.done():
            return run.result.result()
        # Still running: within its time it keeps its benefit of the doubt only while no
        # answer is late; past it, the dependency hangs.
        if time.monotonic() - run.started >= CHECK_TIMEOUT_S:
            return f"no answer within {CHECK_TIMEOUT_S:g} s"
        return None

    def _log_change(self, name: str, problem: str | None) -> None:
        # The reasons go to the operator's log (once per change), never to the response.
        if self._reported.get(name) != problem:
            self._reported[name] = problem
            if problem is None:
                _LOGGER.info("readiness: %s is ok again", name)
            else:
                _LOGGER.warning("readiness: %s failed: %s", name, problem)


def _probe(request: Request) -> ReadinessProbe:
    state = request.app.state
    probe = getattr(state, "streammesh_readiness", None)
    if not isinstance(probe, ReadinessProbe):
        server_context(request)  # fail here on a wiring mistake, not in a probe thread
        # The context is read at each probe: a restarted app gets a new one.
        probe = state.streammesh_readiness = ReadinessProbe(
            lambda: dependency_checks(state.streammesh.runtime),
            lambda: list(getattr(state, "streammesh_heartbeats", [])),
        )
    return probe


@router.get("/healthz", response_model=Liveness)
async def healthz() -> Liveness:
    """Liveness: ``{"status": "ok"}`` whenever the process answers, whatever its
    dependencies do (see ``/readyz``)."""
    return Liveness()


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "This replica cannot serve now."}},
)
async def readyz(request: Request) -> JSONResponse:
    """Readiness: 200 ``ready`` when the store, the log and the key service answer within
    2 s and no background worker of this process is stuck; else 503 naming what failed."""
    readiness = await _probe(request).readiness()
    status = 200 if readiness.status == "ready" else 503
    return JSONResponse(readiness.model_dump(), status_code=status)
