"""``/readyz``'s probe: runs the dependency checks at once and bounds each in time, never
starts a check again while it hangs, runs them at most once a second, names stuck workers."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence

import pytest

from streammesh.heartbeat import Heartbeat
from streammesh.server import health
from streammesh.server.health import Check, Readiness, ReadinessProbe


def _ready(probe: ReadinessProbe) -> Readiness:
    return asyncio.run(probe.readiness())


def _no_workers() -> Sequence[Heartbeat]:
    return []


def test_hanging_checks_fail_together_within_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health, "CHECK_TIMEOUT_S", 0.5)
    release = threading.Event()
    calls = 0

    def hanging() -> None:
        nonlocal calls
        calls += 1
        release.wait(30)

    checks = [Check("store", hanging), Check("log", hanging), Check("keys", lambda: None)]
    probe = ReadinessProbe(lambda: checks, _no_workers)
    try:
        started = time.monotonic()
        first = _ready(probe)
        took = time.monotonic() - started
        time.sleep(health.PROBE_INTERVAL_S)
        second = _ready(probe)
    finally:
        release.set()
    # Concurrent: one timeout for all, not one per hanging check (1.0 s one after the other).
    assert took < 0.95
    assert first.status == "unavailable"
    assert first.checks == {"store": "failed", "log": "failed", "keys": "ok"}
    assert first.failed == ["store", "log"]
    assert second.failed == ["store", "log"]
    assert calls == 2  # a check still hanging is not started again


def test_a_failing_check_is_named_without_its_reason() -> None:
    def broken() -> None:
        raise OSError("database file '/secret/path/meta.db' was deleted")

    probe = ReadinessProbe(lambda: [Check("store", broken), Check("log", lambda: None)], list)
    ready = _ready(probe)
    assert ready.failed == ["store"]
    assert "secret" not in ready.model_dump_json()


def test_checks_run_at_most_once_a_second() -> None:
    calls = 0

    def check() -> None:
        nonlocal calls
        calls += 1

    probe = ReadinessProbe(lambda: [Check("store", check)], _no_workers)

    async def scenario() -> list[Readiness]:
        return [await probe.readiness() for _ in range(20)]

    answers = asyncio.run(scenario())
    assert calls == 1
    assert all(answer.status == "ready" for answer in answers)


def test_a_worker_without_progress_for_too_long_is_stuck() -> None:
    now = [100.0]
    notifier = Heartbeat("notifier", stuck_after_s=60, clock=lambda: now[0])
    relay = Heartbeat("event-relay", stuck_after_s=60, clock=lambda: now[0])
    probe = ReadinessProbe(list, lambda: [notifier, relay])

    now[0] += 59
    assert _ready(probe).status == "ready"
    relay.progressed()
    now[0] += 2  # the notifier has not progressed for 61 s, the relay for 2 s
    ready = _ready(probe)
    assert ready.status == "unavailable"
    assert ready.checks == {"worker:notifier": "stuck", "worker:event-relay": "ok"}
    assert ready.failed == ["worker:notifier"]

    notifier.progressed()
    assert _ready(probe).status == "ready"
