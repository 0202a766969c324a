"""``/healthz``'s probe: answers from the last result at once, however slow the checks are, runs
them at most once a second, and calls a hanging check a problem."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from streammesh.server import health
from streammesh.server.health import HealthProbe


def test_a_hanging_check_never_makes_health_wait() -> None:
    release = threading.Event()
    calls = 0

    def check() -> list[str]:
        nonlocal calls
        calls += 1
        if calls > 1:
            release.wait(30)  # the store hangs from the second probe on
        return []

    probe = HealthProbe(check)

    async def scenario() -> list[float]:
        assert await probe.problems() == []
        await asyncio.sleep(health.PROBE_INTERVAL_S)
        took = []
        for _ in range(5):
            started = time.monotonic()
            assert await probe.problems() == []  # the last finished result
            took.append(time.monotonic() - started)
        return took

    try:
        took = asyncio.run(scenario())
    finally:
        release.set()
    # The check hangs for 30 s; each answer waited at most FRESH_WAIT_S (slack for a busy CI).
    assert max(took) < 0.5
    assert calls == 2  # one probe running, not one per request


def test_a_probe_running_too_long_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health, "STUCK_AFTER_S", 0.2)
    release = threading.Event()

    def hanging() -> list[str]:
        release.wait(30)
        return []

    probe = HealthProbe(hanging)

    async def scenario() -> list[str]:
        await probe.problems()
        await asyncio.sleep(0.3)
        return await probe.problems()

    try:
        problems = asyncio.run(scenario())
    finally:
        release.set()
    assert len(problems) == 1 and "has not finished" in problems[0]


def test_checks_run_at_most_once_a_second() -> None:
    calls = 0

    def check() -> list[str]:
        nonlocal calls
        calls += 1
        return [f"problem {calls}"]

    probe = HealthProbe(check)

    async def scenario() -> list[list[str]]:
        return [await probe.problems() for _ in range(20)]

    answers = asyncio.run(scenario())
    assert calls == 1
    assert all(answer == ["problem 1"] for answer in answers)
