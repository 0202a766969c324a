"""``Worker``: runs one connector, a source or a sink, under the mesh's guarantees.

The worker owns what every kind runs under: the connector's service account and its grants,
the products' contracts (validation, keys, schema evolution through the control plane),
field protection, lineage, dead letters and exactly-once delivery (see
:mod:`streammesh.connect.source_worker` and :mod:`streammesh.connect.sink_worker`).

It runs in the foreground (``streammesh connect run``) or in a thread of a server: every
method may be called from another thread than the one running :meth:`Worker.run`
(:meth:`progress` any time, :meth:`close` to stop it).

Example:
    >>> worker = runtime.connect.worker(read_definition("orders-cdc.yaml"))  # doctest: +SKIP
    >>> worker.run(lambda: interrupted)  # doctest: +SKIP
    >>> worker.close()  # doctest: +SKIP
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from streammesh.connect.definition import ConnectorDefinition
from streammesh.connect.errors import ConnectorFailed
from streammesh.connect.kinds import Role
from streammesh.connect.progress import WorkerProgress, WorkerState
from streammesh.connect.services import WorkerServices
from streammesh.connect.sink_worker import SinkRunner
from streammesh.connect.source_worker import SourceRunner

__all__ = ["Worker", "WorkerOptions", "freeze_start_up_objects"]


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    """How a worker paces itself.

    Attributes:
        poll_timeout_s: How long one poll of the source or the log waits.
        flush_interval_s: How often a sink is flushed (its offsets stored with its data).
        max_records: The most records a sink reads per step.
    """

    poll_timeout_s: float = 0.5
    flush_interval_s: float = 5.0
    max_records: int = 2_000


class Worker:
    """Runs one connector (see the module)."""

    def __init__(
        self,
        definition: ConnectorDefinition,
        services: WorkerServices,
        options: WorkerOptions | None = None,
    ) -> None:
        options = options or WorkerOptions()
        self.definition = definition
        self._runner: SourceRunner | SinkRunner
        if definition.role is Role.SOURCE:
            self._runner = SourceRunner(definition, services, poll_timeout_s=options.poll_timeout_s)
        else:
            self._runner = SinkRunner(
                definition,
                services,
                poll_timeout_s=options.poll_timeout_s,
                flush_interval_s=options.flush_interval_s,
                max_records=options.max_records,
            )
        self._state = WorkerState.CREATED
        self._closing = False
        # One step at a time: close() from another thread waits for the step in hand.
        self._lock = threading.RLock()

    def start(self) -> None:
        """Check grants and products, start the task where it left off; done once (``run``
        starts a worker not started yet).

        Raises:
            ConnectorRefused: a grant or product is missing (named).
            ConnectError: what the kind raises on start (its connection, its tables).
        """
        with self._lock:
            if self._state is not WorkerState.CREATED:
                return
            try:
                self._runner.open()
            except BaseException as exc:
                self._fail(exc)
                hidden = self._hidden(exc)
                if hidden is not None:
                    raise hidden from None  # the original quotes a credential
                raise
            self._state = WorkerState.RUNNING

    def step(self) -> int:
        """One poll and its commit (source) or put (sink); how many records were read."""
        with self._lock:
            self.start()
            if self._state is not WorkerState.RUNNING:
                return 0
            try:
                return self._runner.step()
            except BaseException as exc:
                self._fail(exc)
                hidden = self._hidden(exc)
                if hidden is not None:
                    raise hidden from None  # the original quotes a credential
                raise

    def run(
        self,
        stop: Callable[[], bool],
        *,
        report: Callable[[WorkerProgress], None] | None = None,
        interval: float = 1.0,
    ) -> None:
        """Run until ``stop()`` is true or :meth:`close` is called (from another thread);
        ``report`` gets the progress every ``interval`` seconds and once at the end.

        Every batch of a source is committed as it is written, so stopping loses nothing;
        a sink is flushed by :meth:`close`.
        """
        self.start()
        reported = time.monotonic()
        while not stop() and not self._closing:
            self.step()
            if report is not None and time.monotonic() - reported >= interval:
                reported = time.monotonic()
                report(self.progress())
        if report is not None:
            report(self.progress())

    def progress(self) -> WorkerProgress:
        """Counters, last error, and the position (source) or lag (sink)."""
        return self._runner.progress(self._state)

    def close(self) -> None:
        """Stop: a sink flushes what it holds; the task, the log clients are released.
        Idempotent; safe from another thread than the one in :meth:`run`."""
        self._closing = True
        with self._lock:
            if self._state in (WorkerState.STOPPED, WorkerState.FAILED):
                self._runner.close()
                return
            try:
                self._runner.close()
            except BaseException as exc:
                self._fail(exc)
                hidden = self._hidden(exc)
                if hidden is not None:
                    raise hidden from None  # the original quotes a credential
                raise
            self._state = WorkerState.STOPPED

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _hidden(self, exc: BaseException) -> ConnectorFailed | None:
        """``exc`` without the credentials its message quotes, or ``None`` if it quotes
        none."""
        text = str(exc)
        redacted = self.definition.redact(text)
        if redacted == text:
            return None
        return ConnectorFailed(self.definition.name, type(exc).__name__, redacted)

    def _fail(self, exc: BaseException) -> None:
        if isinstance(exc, KeyboardInterrupt):
            return
        self._state = WorkerState.FAILED
        self._runner.last_error = self.definition.redact(f"{type(exc).__name__}: {exc}")


def freeze_start_up_objects() -> None:
    """Take every object alive now out of the garbage collector's full collections
    (``gc.freeze``), for a process that runs one connector, once it started.

    A source keeps its records alive across young collections (a transaction's, a batch's),
    so they reach the oldest generation, and every ~25 % of growth there the collector
    walks all of it, the start-up objects included: modules, the runtime, the schemas —
    hundreds of thousands that will never be garbage. On the CDC benchmark one such walk
    cost as much as reading 20,000 changes; frozen, the walks cover what the connector
    made since, and collections go on as before for it.
    """
    gc.collect()
    gc.freeze()
