"""Running recorded connectors: what ``streammesh up`` does with the connectors placed on
the server, and how a ``connect run`` process reports to the mesh.

:class:`ConnectorHost` reads the recorded connectors every ``poll_s`` seconds and starts one
thread per connector placed on the server that should run (``desired`` running) and has none
yet. A thread reads the connector's definition (``${VAR}`` resolved from the server's
environment), runs a :class:`~streammesh.connect.worker.Worker` step by step, and heartbeats
every ``heartbeat_s`` seconds with its state, counters, lag and last error. The answer says
whether to go on: a paused connector finishes its step, closes (a sink flushes what it holds)
and leaves; a deleted one too; one restarted or given a new definition (a new generation) or
moved to ``process`` closes and starts again with its new record. A run that fails (the
database unreachable, a grant missing) is recorded as the instance's error — the task's
``trace`` in Connect's status — and started again after a backoff (``backoff_s``, doubling up
to ``max_backoff_s``) while the connector should still run. :meth:`ConnectorHost.stop` asks
every thread to finish its step, close and leave, and waits for them.

:class:`ProcessReport` is the same bookkeeping for a connector run as its own process
(``streammesh connect run FILE``, placement ``process``).

Error texts are the worker's, with credentials redacted (``ConnectorDefinition.redact``):
heartbeats and the log never carry a database password.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from streammesh.connect.definition import ConnectorDefinition
from streammesh.connect.kinds import Role
from streammesh.connect.managed.errors import UnknownConnector
from streammesh.connect.managed.manager import ConnectorManager
from streammesh.connect.managed.paths import check_paths
from streammesh.connect.managed.records import Connector, Desired, Placement
from streammesh.connect.progress import WorkerProgress, WorkerState
from streammesh.connect.services import WorkerServices
from streammesh.connect.worker import Worker, WorkerOptions
from streammesh.errors import MeshError
from streammesh.heartbeat import Heartbeat
from streammesh.supervision import Backoff, Supervisor

__all__ = ["ConnectorHost", "Next", "ProcessReport", "progress_document", "start_connector_host"]

_LOGGER = logging.getLogger("streammesh.connect.hosting")


class Next(StrEnum):
    """What a worker does after a heartbeat."""

    RUN = "run"
    """Go on."""
    PAUSE = "pause"
    """The connector was paused: stop polling (a hosted one closes and leaves)."""
    RESTART = "restart"
    """Restarted, or given a new definition or placement: close and start again."""
    STOP = "stop"
    """Deleted: close and leave."""


def progress_document(progress: WorkerProgress) -> dict[str, Any]:
    """What a heartbeat records of a worker's progress (JSON)."""
    return {
        "records_in": progress.records_in,
        "records_out": progress.records_out,
        "dead_letters": progress.dead_letters,
        "lag": progress.total_lag if progress.role is Role.SINK else None,
        "position": progress.position,
        "stopped": dict(progress.stopped),
    }


def _instance_id() -> tuple[str, int, str]:
    host = socket.gethostname()[:200]
    pid = os.getpid()
    return host, pid, f"{host[:40]}-{pid}-{secrets.token_hex(3)}"


class ProcessReport:
    """Heartbeats of one worker of a recorded connector (a ``connect run`` process, or a
    thread of :class:`ConnectorHost`), and what the record says to do next.

    Args:
        manager: The mesh's connectors.
        name: The connector.
        placement: Where this worker runs.
        interval_s: Seconds between heartbeats (alive while its last one is at most three
            intervals old).
    """

    def __init__(
        self,
        manager: ConnectorManager,
        name: str,
        *,
        placement: Placement = Placement.PROCESS,
        interval_s: float = 2.0,
    ) -> None:
        self.manager = manager
        self.name = name
        self.placement = placement
        self.interval_s = interval_s
        self.host, self.pid, self.instance = _instance_id()
        self._generation: int | None = None

    def beat(
        self,
        state: WorkerState | str,
        progress: Mapping[str, Any] | None = None,
        error: str | None = None,
    ) -> Next:
        """Record this worker's state; what to do next. The first heartbeat remembers the
        record's generation: a later one that differs means restart."""
        try:
            record = self.manager.heartbeat(
                self.name,
                self.instance,
                host=self.host,
                pid=self.pid,
                placement=self.placement,
                state=str(state),
                interval_s=self.interval_s,
                progress=progress or {},
                error=error,
            )
        except UnknownConnector:
            return Next.STOP
        return self.next(record)

    def next(self, record: Connector) -> Next:
        """What ``record`` asks of this worker."""
        if self._generation is None:
            self._generation = record.generation
        if record.placement is not self.placement:
            return Next.STOP  # the other placement runs it now
        if record.generation != self._generation:
            self._generation = record.generation
            return Next.RESTART
        if record.desired is Desired.PAUSED:
            return Next.PAUSE
        return Next.RUN

    def leave(self) -> None:
        """Forget this worker in the mesh: it stopped."""
        try:
            self.manager.leave(self.name, self.instance)
        except MeshError as exc:  # it ages out after three intervals anyway
            _LOGGER.warning("instance of connector %s not removed: %s", self.name, exc)


@dataclass(frozen=True, slots=True)
class _Timing:
    poll_s: float
    heartbeat_s: float
    backoff: Backoff


class ConnectorHost:
    """Hosts the connectors placed on the server (see the module); ``stop()`` it.

    Args:
        manager: The mesh's connectors.
        services: What workers run on (the mesh's services).
        options: How workers pace themselves.
        poll_s: Seconds between two reads of the recorded connectors.
        heartbeat_s: Seconds between a connector's heartbeats.
        backoff_s: Seconds before the first restart of a failed run; doubled after each
            failure in a row, up to ``max_backoff_s``.
        max_backoff_s: The longest wait between two restarts.
        allowed_paths: The folders a hosted connector may name (``MeshConfig.connector_folders``:
            the mesh directory and ``connect.allowed_paths``); default: the mesh directory. One
            naming another path fails before it runs.
    """

    def __init__(
        self,
        manager: ConnectorManager,
        services: WorkerServices,
        *,
        options: WorkerOptions | None = None,
        allowed_paths: Sequence[Path] | None = None,
        poll_s: float = 2.0,
        heartbeat_s: float = 2.0,
        backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
    ) -> None:
        self.manager = manager
        self.services = services
        self.options = options
        self.allowed_paths = tuple(allowed_paths or (services.home,))
        self.timing = _Timing(poll_s, heartbeat_s, Backoff(backoff_s, max_backoff_s))
        self.heartbeat = Heartbeat("connector-host")  # the supervisor's reading rounds
        self._supervisor = Supervisor(
            "connectors",
            self._wanted,
            lambda name, stopping: _ConnectorThread(self, name, stopping),
            poll_s=poll_s,
            heartbeat=self.heartbeat,
            logger=_LOGGER,
        )

    @property
    def heartbeats(self) -> tuple[Heartbeat, ...]:
        """The supervisor's heartbeat (see :mod:`streammesh.heartbeat`)."""
        return (self.heartbeat,)

    def start(self) -> ConnectorHost:
        """Start supervising (returns ``self``)."""
        self._supervisor.start()
        return self

    def hosted(self) -> list[str]:
        """The connectors this process runs now, by name."""
        return self._supervisor.running()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop supervising; every connector hosted here finishes its step, closes (a sink
        flushes) and leaves. Waits up to ``timeout_s`` seconds for them all."""
        self._supervisor.stop(timeout_s)

    def _wanted(self) -> list[str]:
        return [
            item.name
            for item in self.manager.connectors()
            if item.placement is Placement.SERVER and item.desired is Desired.RUNNING
        ]


class _ConnectorThread(threading.Thread):
    """Runs one connector until it should not run here any more (see the module)."""

    def __init__(self, owner: ConnectorHost, name: str, stopping: threading.Event) -> None:
        super().__init__(name=f"streammesh-connector-{name}", daemon=True)
        self._owner = owner
        self.connector = name
        self._stopping = stopping
        # One instance per thread: its restarts show as one task with its error.
        self._report = ProcessReport(
            owner.manager,
            name,
            placement=Placement.SERVER,
            interval_s=owner.timing.heartbeat_s,
        )
        self._error: str | None = None

    def run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            record = self._record()
            if record is None:
                return
            definition: ConnectorDefinition | None = None
            try:
                definition = self._owner.manager.definition(record)
                again = self._run_once(definition)
            except Exception as exc:  # any failure of a run is recorded, then retried
                failures += 1
                text = f"{type(exc).__name__}: {exc}"
                self._error = definition.redact(text) if definition is not None else text
                _LOGGER.warning("connector %s failed: %s", self.connector, self._error)
                if not self._back_off(self._owner.timing.backoff.delay(failures)):
                    return
                continue
            failures = 0
            if not again:
                return

    def _record(self) -> Connector | None:
        """The connector's record while this process should run it, else ``None`` (having
        left)."""
        try:
            record = self._owner.manager.connector(self.connector)
        except UnknownConnector:
            return None
        if record.placement is not Placement.SERVER or record.desired is not Desired.RUNNING:
            self._report.leave()
            return None
        return record

    def _run_once(self, definition: ConnectorDefinition) -> bool:
        """Run until paused, deleted, restarted or this process stops; whether to run again
        at once (restarted).

        Raises:
            Exception: whatever stopped the run (recorded by the caller).
        """
        # Checked again here: recorded before the rule, or mesh.yaml changed since.
        check_paths(definition, self._owner.allowed_paths)
        worker = Worker(definition, self._owner.services, self._owner.options)
        decision = Next.RUN
        try:
            worker.start()
            self._error = None
            decision = self._beat(worker)
            beaten = time.monotonic()
            while decision is Next.RUN and not self._stopping.is_set():
                worker.step()
                if time.monotonic() - beaten >= self._owner.timing.heartbeat_s:
                    beaten = time.monotonic()
                    decision = self._beat(worker)
        finally:
            worker.close()
        if decision is Next.RESTART:
            return True
        self._report.leave()
        return False

    def _beat(self, worker: Worker) -> Next:
        progress = worker.progress()
        try:
            return self._report.beat(progress.state, progress_document(progress), self._error)
        except MeshError as exc:  # the store busy for a moment: go on, beat again later
            _LOGGER.warning("heartbeat of connector %s not recorded: %s", self.connector, exc)
            return Next.RUN

    def _back_off(self, delay: float) -> bool:
        """Wait ``delay`` seconds before a restart, heartbeating the error meanwhile;
        whether the connector should still run here after it."""
        waited = 0.0
        step = self._owner.timing.heartbeat_s
        while waited < delay:
            try:
                decision = self._report.beat(WorkerState.FAILED, {}, self._error)
            except MeshError as exc:
                _LOGGER.warning("heartbeat of connector %s not recorded: %s", self.connector, exc)
            else:
                if decision is Next.STOP or decision is Next.PAUSE:
                    self._report.leave()
                    return False
                if decision is Next.RESTART:  # asked to restart now: no more waiting
                    return True
            if self._stopping.wait(min(step, delay - waited)):
                self._report.leave()
                return False
            waited += step
        return True


def start_connector_host(
    manager: ConnectorManager,
    services: WorkerServices,
    *,
    options: WorkerOptions | None = None,
    allowed_paths: Sequence[Path] | None = None,
    **timing: float,
) -> ConnectorHost:
    """Start hosting the connectors placed on the server (see :class:`ConnectorHost`, whose
    keyword arguments ``timing`` are); ``stop()`` what it returns."""
    return ConnectorHost(
        manager, services, options=options, allowed_paths=allowed_paths, **timing
    ).start()
