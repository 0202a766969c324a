"""The SLO checker: evaluates every monitored product's SLOs now and then, in the background.

Each pass probes the log for every published or deprecated product with an ``sla.freshness``
or ``sla.availability`` (describe its topic, read its newest events), counts the probe for
availability, judges the SLOs (:mod:`streammesh.observe.slo`) and records them in the
:class:`~streammesh.observe.ledger.SloLedger`; a status change is audited in the same
transaction and then relayed to ``_mesh.events``, where notifications pick it up. Several
checkers (server replicas) may run at once: the ledger's lock makes a breach recorded once.
Each pass also samples the lag of every consumer group registered with such a product (kept a
day, one sample a minute) for the product page's lag-over-time chart.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from streammesh.control import ApplicationRole, ControlPlane, OpenMesh, ProductRecord
from streammesh.errors import MeshError
from streammesh.heartbeat import DEFAULT_STUCK_AFTER_S, BackgroundWork, Heartbeat
from streammesh.log import EventLog, LogError
from streammesh.observe.lag import group_lag
from streammesh.observe.ledger import SloLedger
from streammesh.observe.slo import (
    MONITORED,
    Evaluation,
    judge_availability,
    judge_freshness,
)
from streammesh.observe.throughput import measure_product

_LOGGER = logging.getLogger(__name__)
LAG_HISTORY = timedelta(days=1)
"""How long consumer-lag samples are kept."""
DEFAULT_INTERVAL_S = 30.0


class Stoppable(Protocol):
    """Background work that runs until stopped."""

    def stop(self) -> None:
        """Stop and wait for the work to end."""
        ...


@dataclass(frozen=True, slots=True)
class CheckerSettings:
    """How the checker judges availability.

    Attributes:
        availability_window: How far back the probes count.
        min_probes: Probes the window must hold before availability is judged.
    """

    availability_window: timedelta = timedelta(days=1)
    min_probes: int = 10


class SloChecker:
    """One mesh's SLO checks; :meth:`check` runs one pass.

    Example:
        >>> checker = SloChecker(mesh.plane, mesh.log, SloLedger(mesh.store))
        >>> [e.status for e in checker.check()]
        [<SloStatus.MET: 'met'>]
    """

    def __init__(
        self,
        plane: ControlPlane,
        log: EventLog,
        ledger: SloLedger,
        *,
        settings: CheckerSettings | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._plane = plane
        self._log = log
        self._ledger = ledger
        self._settings = settings or CheckerSettings()
        self._clock = clock or (lambda: datetime.now(UTC))

    def check(self) -> list[Evaluation]:
        """Judge every monitored product's SLOs once; returns the evaluations made.

        Status changes are audited and relayed to ``_mesh.events`` before this returns (a
        log that cannot take the events now gets them on the next relay).
        """
        now = self._clock()
        evaluations: list[Evaluation] = []
        changed = False
        for record in self._plane.products(statuses=MONITORED):
            sla = record.descriptor.sla
            if sla.freshness is None and sla.availability is None:
                continue
            for evaluation in self._judge(record, now):
                evaluations.append(evaluation)
                changed = self._ledger.record(evaluation, now) or changed
        self._sample_lags(now)
        self._ledger.forget_probes_before(now - self._settings.availability_window)
        self._ledger.forget_lags_before(now - LAG_HISTORY)
        if changed:
            try:
                self._plane.relay_events()
            except LogError as exc:
                _LOGGER.warning("SLO events not relayed yet (will retry): %s", exc)
        return evaluations

    def _sample_lags(self, now: datetime) -> None:
        """Record the lag of each consumer group registered with a monitored product."""
        for record in self._plane.products(statuses=MONITORED):
            groups = {
                app.group
                for app, _active in self._plane.applications(record.reference)
                if app.role is ApplicationRole.CONSUMER and app.group
            }
            for group in sorted(groups):
                try:
                    lag = group_lag(self._log, group, record.reference, record.topic)
                except LogError as exc:  # an unreadable topic has no lag to chart
                    _LOGGER.info(
                        "lag of '%s' on '%s' not sampled: %s", group, record.reference, exc
                    )
                    continue
                self._ledger.record_lag(group, record.name, record.version, lag.total, at=now)

    def _judge(self, record: ProductRecord, now: datetime) -> list[Evaluation]:
        last_event_at: datetime | None = None
        try:
            last_event_at = measure_product(
                self._log, record.reference, record.topic, now=now, max_read=0
            ).last_event_at
            reachable = True
        except LogError as exc:
            _LOGGER.info("SLO probe of '%s' failed: %s", record.reference, exc)
            reachable = False
        found: list[Evaluation | None] = []
        if record.descriptor.sla.availability is not None:
            self._ledger.count_probe(record.name, record.version, ok=reachable, at=now)
            since = now - self._settings.availability_window
            probes, failures = self._ledger.probe_counts(record.name, record.version, since)
            found.append(
                judge_availability(record, probes, failures, min_probes=self._settings.min_probes)
            )
        if reachable:  # an unreadable log says nothing about how fresh the data is
            found.append(judge_freshness(record, last_event_at, now))
        return [evaluation for evaluation in found if evaluation is not None]


class _Running:
    """The checker's thread; ``stop`` ends it after the pass under way."""

    def __init__(self, checker: SloChecker, interval: float) -> None:
        self._checker = checker
        self._interval = interval
        # A pass every `interval`: stuck only once several passes in a row did not finish.
        self.heartbeats = (
            Heartbeat("slo-checker", stuck_after_s=max(DEFAULT_STUCK_AFTER_S, 3 * interval)),
        )
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="streammesh-slo", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                self._checker.check()
            except MeshError as exc:  # the store or log is down: try again next interval
                _LOGGER.warning("SLO check failed (will retry): %s", exc)
            except Exception:  # a bug must not end the checks for good: say it, go on
                _LOGGER.exception("SLO check failed unexpectedly (will retry)")
            else:
                self.heartbeats[0].progressed()
            self._stopped.wait(self._interval)

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()


def start_slo_checker(
    mesh: OpenMesh,
    interval: float = DEFAULT_INTERVAL_S,
    *,
    settings: CheckerSettings | None = None,
    clock: Callable[[], datetime] | None = None,
) -> BackgroundWork:
    """Check ``mesh``'s SLOs every ``interval`` seconds in a background thread, the first
    pass at once; call ``stop()`` on the result before closing the mesh. Its heartbeat is
    ``slo-checker``."""
    checker = SloChecker(
        mesh.plane, mesh.log, SloLedger(mesh.store), settings=settings, clock=clock
    )
    return _Running(checker, interval)
