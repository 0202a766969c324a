"""Hosting stream applications in a long-running process: what ``streammesh up`` does with the
applications deployed with placement ``server``.

A supervisor thread reads the recorded applications every ``poll_s`` seconds and starts one
host thread per application that is placed on the server and should run (``desired``
running) and has none yet. A host thread runs the application as ``streams run`` does —
prepared from its recorded script as its service account (grants checked, governance run on
its output products), its output products published and its lineage recorded, its local state
in ``<mesh>/streams/<app>/`` (wiped when a reset moved it to a newer epoch), a
:class:`StreamsRunner` polling every query — and heartbeats its progress every
``heartbeat_s`` seconds through :meth:`StreamsService.heartbeat`. The answer says whether to
go on: a stopped application finishes and commits its batch, closes and leaves; a deleted one
too; one deployed again (script, service account, descriptor or epoch changed) restarts with
its new record. At each heartbeat the service account's grants are checked again
(:meth:`StreamsService.check_still_granted`): a read grant revoked, a write right lost or a
classified grant downgraded fails the run before its next batch. A run that fails (an input
topic deleted, a grant revoked, the log gone) is recorded as the instance's error and started
again after a backoff (``backoff_s``, doubling up to ``max_backoff_s``) while the application
should still run; the instance stays listed with its error meanwhile.

Several processes hosting one application (``up`` replicas over one mesh) each join its
consumer groups, so they share its input partitions as ``streams run`` processes do; nothing
else coordinates them. :meth:`StreamHost.stop` asks every host thread to finish its batch,
commit, close and leave, and waits for them.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from streammesh.errors import MeshError
from streammesh.heartbeat import Heartbeat
from streammesh.log import EventLog
from streammesh.registry import SchemaRegistry
from streammesh.serde import RegistryResolver
from streammesh.store import MetadataStore
from streammesh.streams.apps import (
    AppStore,
    Desired,
    Placement,
    StreamApp,
    UnknownApplication,
    prepare_state_dir,
)
from streammesh.streams.plan import PlanError
from streammesh.streams.runner import QueryProgress, StreamsRunner
from streammesh.streams.service import PreparedApplication, StreamsService
from streammesh.supervision import Backoff, Supervisor

__all__ = ["StreamHost", "check_runnable", "start_stream_host"]

_LOGGER = logging.getLogger("streammesh.streams.hosting")


def check_runnable(prepared: PreparedApplication, log: EventLog, registry: SchemaRegistry) -> None:
    """Refuse a prepared application that a host could not run, before it is recorded: one
    without a persistent query, with a query the engine does not run, or reading a topic that
    does not exist. Nothing is created.

    Raises:
        PlanError: no persistent query.
        UnsupportedPlan: a query the engine does not run yet, named.
        TopicNotFound: a missing input topic.
    """
    if not prepared.queries:
        raise PlanError(
            "the script has no persistent query (CREATE ... AS SELECT or INSERT INTO) to run"
        )
    with StreamsRunner(
        log,
        prepared.queries,
        prepared.name,
        resolver=RegistryResolver(registry),
        protections=prepared.protections,
        decryption=prepared.decryption,
    ) as runner:
        runner.check_inputs()


@dataclass(frozen=True, slots=True)
class _Timing:
    poll_s: float
    heartbeat_s: float
    backoff: Backoff


class StreamHost:
    """Hosts the stream applications placed on the server (see the module); ``stop()`` it.

    Args:
        streams: The mesh's stream service (records, heartbeats, prepare and publish).
        store: The mesh's metadata store (the recorded applications).
        log: The event log the applications run on.
        registry: The schema registry (Avro topics, output products' schemas).
        home: The mesh directory; local state goes to ``<home>/streams/<app>/``.
        poll_s: Seconds between two reads of the recorded applications.
        heartbeat_s: Seconds between an application's heartbeats (and progress reports).
        backoff_s: Seconds before the first restart of a failed run; doubled after each
            failure in a row, up to ``max_backoff_s``.
        max_backoff_s: The longest wait between two restarts.
    """

    def __init__(
        self,
        streams: StreamsService,
        store: MetadataStore,
        log: EventLog,
        registry: SchemaRegistry,
        home: Path,
        *,
        poll_s: float = 2.0,
        heartbeat_s: float = 2.0,
        backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
    ) -> None:
        self.streams = streams
        self.log = log
        self.registry = registry
        self.home = home
        self.timing = _Timing(poll_s, heartbeat_s, Backoff(backoff_s, max_backoff_s))
        self._apps = AppStore(store)
        self.heartbeat = Heartbeat("stream-host")  # the supervisor's reading rounds
        self._supervisor = Supervisor(
            "stream applications",
            self._wanted,
            lambda name, stopping: _AppHost(self, name, stopping),
            poll_s=poll_s,
            heartbeat=self.heartbeat,
            logger=_LOGGER,
        )

    @property
    def heartbeats(self) -> tuple[Heartbeat, ...]:
        """The supervisor's heartbeat (see :mod:`streammesh.heartbeat`)."""
        return (self.heartbeat,)

    def start(self) -> StreamHost:
        """Start supervising (returns ``self``)."""
        self._supervisor.start()
        return self

    def hosted(self) -> list[str]:
        """The applications this process runs now (a host thread alive), by name."""
        return self._supervisor.running()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop supervising; every application hosted here finishes and commits its batch,
        closes and leaves. Waits up to ``timeout_s`` seconds for them all: one still busy
        then (a long restore) is left to die with the process — its open transaction is
        never committed, so nothing is output twice."""
        self._supervisor.stop(timeout_s)

    def _wanted(self) -> list[str]:
        return [
            item.name
            for item in self._apps.apps()
            if item.placement is Placement.SERVER and item.desired is Desired.RUNNING
        ]


class _AppHost(threading.Thread):
    """Runs one application until it should not run any more (see the module)."""

    def __init__(self, owner: StreamHost, name: str, stopping: threading.Event) -> None:
        super().__init__(name=f"streammesh-stream-{name}", daemon=True)
        self._owner = owner
        self._app = name
        self.app = name
        """The application it runs."""
        self._stopping = stopping
        self._host = socket.gethostname()[:200]
        self._pid = os.getpid()
        # One instance id per host thread: its restarts show as one instance with its error.
        self._instance = f"{self._host[:40]}-{self._pid}-{secrets.token_hex(3)}"
        self._error: str | None = None

    def run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            app = self._record()
            if app is None:
                return
            try:
                again = self._run_once(app)
            except Exception as exc:  # any failure of a run is recorded, then retried
                failures += 1
                self._error = f"{type(exc).__name__}: {exc}"
                _LOGGER.warning("stream application %s failed: %s", self._app, self._error)
                if not self._back_off(self._owner.timing.backoff.delay(failures)):
                    return
                continue
            failures = 0
            if not again:
                return

    def _record(self) -> StreamApp | None:
        """The application's record while this process should run it, else ``None`` (it
        left the record then)."""
        try:
            app = self._owner.streams.application(self._app)
        except UnknownApplication:
            return None
        if app.placement is not Placement.SERVER or app.desired is not Desired.RUNNING:
            self._leave()
            return None
        return app

    def _run_once(self, app: StreamApp) -> bool:
        """Run ``app`` until it is stopped, deleted or redeployed, or this process stops;
        whether to run it again at once (redeployed).

        Raises:
            Exception: whatever stopped the run (recorded by the caller).
        """
        owner = self._owner
        streams = owner.streams
        prepared = streams.prepare(app.sql, app.name, app.principal, descriptor=app.descriptor)
        if not prepared.queries:
            raise PlanError("the script has no persistent query (CREATE ... AS SELECT) to run")
        state_dir = owner.home / "streams" / app.name
        if prepare_state_dir(state_dir, app):
            _LOGGER.info("wiped the local state of %s from before its last reset", app.name)
        runner = StreamsRunner(
            owner.log,
            prepared.queries,
            app.name,
            resolver=RegistryResolver(owner.registry),
            state_dir=state_dir,
            protections=prepared.protections,
            decryption=prepared.decryption,
        )
        beat = _Beat(self, app, prepared)
        with runner:
            runner.check_inputs()
            streams.publish(prepared, actor=app.created_by)
            beat([])
            runner.run(
                lambda: self._stopping.is_set() or beat.reason is not None,
                report=beat,
                interval=owner.timing.heartbeat_s,
            )
        self._error = None if beat.reason == "redeployed" else self._error
        if beat.reason == "redeployed":
            return True
        self._leave()
        return False

    def heartbeat(self, progress: Sequence[QueryProgress]) -> StreamApp:
        """Tell the mesh this instance runs the application (with its last error, if any).

        Raises:
            UnknownApplication: the application was deleted.
        """
        return self._owner.streams.heartbeat(
            self._app,
            self._instance,
            progress,
            self._error,
            host=self._host,
            pid=self._pid,
            interval_s=self._owner.timing.heartbeat_s,
        )

    def check_grants(self, prepared: PreparedApplication) -> None:
        """Refuse to go on when a grant ``prepared`` started with is gone (not while this
        process stops: its last batch is committed as usual).

        Raises:
            GrantRevoked: see :meth:`StreamsService.check_still_granted`.
        """
        if not self._stopping.is_set():
            self._owner.streams.check_still_granted(prepared)

    def _back_off(self, delay: float) -> bool:
        """Wait ``delay`` seconds before a restart, heartbeating the error meanwhile; whether
        the application should still run after it."""
        waited = 0.0
        step = self._owner.timing.heartbeat_s
        while waited < delay:
            try:
                app = self.heartbeat([])
            except UnknownApplication:
                return False
            except MeshError as exc:
                _LOGGER.warning("heartbeat of %s not recorded: %s", self._app, exc)
            else:
                if app.desired is not Desired.RUNNING or app.placement is not Placement.SERVER:
                    self._leave()
                    return False
            if self._stopping.wait(min(step, delay - waited)):
                self._leave()
                return False
            waited += step
        return True

    def _leave(self) -> None:
        try:
            self._owner.streams.leave(self._app, self._instance)
        except MeshError as exc:  # it ages out after three heartbeat intervals anyway
            _LOGGER.warning("instance of %s not removed: %s", self._app, exc)


class _Beat:
    """The report callback of a run: heartbeats, and learns whether to stop (``reason``)."""

    def __init__(self, host: _AppHost, app: StreamApp, prepared: PreparedApplication) -> None:
        self._host = host
        self._prepared = prepared
        self._started = (app.sql, app.principal, app.descriptor, app.epoch, app.placement)
        self.reason: str | None = None

    def __call__(self, progress: Sequence[QueryProgress]) -> None:
        """Heartbeat; then, while the application should go on, check that its grants are
        still there.

        Raises:
            GrantRevoked: a grant it started with is gone: the run stops before its next
                batch (nothing more is committed) and the failure is recorded.
        """
        try:
            app = self._host.heartbeat(progress)
        except UnknownApplication:
            self.reason = "deleted"
            return
        if app.desired is not Desired.RUNNING:
            self.reason = "stopped"
        elif (app.sql, app.principal, app.descriptor, app.epoch, app.placement) != self._started:
            self.reason = "redeployed"
        else:
            self._host.check_grants(self._prepared)


def start_stream_host(
    streams: StreamsService,
    store: MetadataStore,
    log: EventLog,
    registry: SchemaRegistry,
    home: Path,
    **timing: float,
) -> StreamHost:
    """Start hosting the applications placed on the server (see :class:`StreamHost`, whose
    keyword arguments ``timing`` are); ``stop()`` what it returns."""
    return StreamHost(streams, store, log, registry, home, **timing).start()
