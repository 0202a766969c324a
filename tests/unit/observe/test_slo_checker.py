"""The SLO checker against a real mesh: a breach is audited once, a recovery once, both reach
``_mesh.events``; quiet state streams are not stale; an unreadable topic costs availability."""

from __future__ import annotations

import time
from datetime import timedelta

from streammesh.audit import AuditAction, read_mesh_events
from streammesh.observe import (
    CHECKER_ACTOR,
    CheckerSettings,
    SloChecker,
    SloKind,
    SloLedger,
    SloStatus,
    start_slo_checker,
)
from streammesh.runtime import MeshRuntime
from tests.unit.observe.meshes import PROFILES, TRADES, Clock, produce

SLO_ACTIONS = (AuditAction.SLO_BREACHED, AuditAction.SLO_RECOVERED)


def _checker(mesh: MeshRuntime, clock: Clock, min_probes: int = 100) -> SloChecker:
    settings = CheckerSettings(min_probes=min_probes)
    return SloChecker(mesh.plane, mesh.log, SloLedger(mesh.store), settings=settings, clock=clock)


def _slo_entries(mesh: MeshRuntime, subject: str = TRADES) -> list[tuple[str, str | None]]:
    found = mesh.plane.audit.entries(subject=subject, actions=SLO_ACTIONS)
    return [(entry.action.value, (entry.after or {}).get("slo")) for entry in found]


def test_a_freshness_breach_is_recorded_once_then_its_recovery(
    mesh: MeshRuntime, clock: Clock
) -> None:
    checker = _checker(mesh, clock)
    produce(mesh, TRADES, 0, 1, at_ms=clock.ms)
    checker.check()
    assert _slo_entries(mesh) == []  # met from the start: no news

    clock.advance(timedelta(minutes=20))
    for _ in range(3):
        checker.check()
    assert _slo_entries(mesh) == [("slo.breached", "freshness")]
    breach = mesh.plane.audit.entries(subject=TRADES, actions=SLO_ACTIONS)[0]
    assert breach.actor == CHECKER_ACTOR
    assert breach.after == {
        "slo": "freshness",
        "status": "breached",
        "target": "15m",
        "observed": "newest event 20m old",
    }

    produce(mesh, TRADES, 2, 1, at_ms=clock.ms)
    checker.check()
    checker.check()
    assert _slo_entries(mesh) == [("slo.breached", "freshness"), ("slo.recovered", "freshness")]

    states = SloLedger(mesh.store).states("execution.trades", 1)
    assert [(s.slo, s.status) for s in states] == [(SloKind.FRESHNESS, SloStatus.MET)]


def test_breaches_are_relayed_to_the_mesh_events_stream(mesh: MeshRuntime, clock: Clock) -> None:
    checker = _checker(mesh, clock)
    produce(mesh, TRADES, 0, 1, at_ms=clock.ms - 3_600_000)

    checker.check()

    relayed = [e for e in read_mesh_events(mesh.log) if e.action in SLO_ACTIONS]
    assert [(e.action, e.subject) for e in relayed] == [(AuditAction.SLO_BREACHED, TRADES)]
    assert "freshness SLO of 'execution.trades.v1' breached" in (relayed[0].note or "")


def test_a_measurement_stream_without_any_event_breaches_once_published_long_enough(
    mesh: MeshRuntime, clock: Clock
) -> None:
    checker = _checker(mesh, clock)
    checker.check()
    assert _slo_entries(mesh) == []

    clock.advance(timedelta(minutes=16))
    checker.check()

    assert _slo_entries(mesh) == [("slo.breached", "freshness")]


def test_a_quiet_state_stream_is_not_stale(mesh: MeshRuntime, clock: Clock) -> None:
    produce(mesh, PROFILES, 0, 2, at_ms=clock.ms)
    clock.advance(timedelta(days=3))

    evaluations = _checker(mesh, clock).check()

    assert _slo_entries(mesh, PROFILES) == []
    assert [e for e in evaluations if e.product == PROFILES] == []


def test_an_unreadable_stream_breaches_availability_once_enough_probes_count(
    mesh: MeshRuntime, clock: Clock
) -> None:
    checker = _checker(mesh, clock, min_probes=4)
    produce(mesh, TRADES, 0, 1, at_ms=clock.ms)
    for _ in range(3):
        checker.check()
        clock.advance(timedelta(seconds=30))
    assert _slo_entries(mesh) == []

    mesh.log.delete_topic(TRADES)  # the log no longer answers for the product's stream
    checker.check()
    checker.check()

    assert _slo_entries(mesh) == [("slo.breached", "availability")]
    states = {s.slo: s for s in SloLedger(mesh.store).states("execution.trades", 1)}
    assert states[SloKind.AVAILABILITY].observed == "60% of 5 probes"
    assert states[SloKind.AVAILABILITY].target == "99%"


def test_the_background_checker_checks_until_stopped(mesh: MeshRuntime, clock: Clock) -> None:
    produce(mesh, TRADES, 0, 1, at_ms=clock.ms - 3_600_000)
    running = start_slo_checker(mesh, interval=0.05, clock=clock)
    try:
        deadline = time.monotonic() + 10
        while not _slo_entries(mesh) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        running.stop()

    assert _slo_entries(mesh) == [("slo.breached", "freshness")]
