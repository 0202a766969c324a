"""Caught-up questions waiting on an event loop, and how many waits a token and a server
may hold at once."""

from __future__ import annotations

import asyncio
from contextlib import ExitStack

import pytest

from streammesh.observe import (
    CaughtUp,
    TooManyWaits,
    WaitLimits,
    WaitSlots,
    await_caught_up,
    caught_up,
)
from streammesh.runtime import MeshRuntime
from tests.unit.observe.meshes import TRADES, Clock, commit, produce


def test_a_token_holds_at_most_its_limit_and_gets_a_slot_back_when_a_wait_ends() -> None:
    slots = WaitSlots(WaitLimits(per_token=2, total=10))
    with ExitStack() as held:
        held.enter_context(slots.hold("tok-a", 30))
        held.enter_context(slots.hold("tok-a", 5))
        with pytest.raises(TooManyWaits) as refused:
            held.enter_context(slots.hold("tok-a", 30))
        assert (refused.value.scope, refused.value.limit) == ("token", 2)
        assert 1 <= refused.value.retry_after_s <= 5  # when its shorter wait ends
        assert "this token already holds 2 waiting request(s)" in str(refused.value)
        held.enter_context(slots.hold("tok-b", 30))  # another token is not limited by it
        assert slots.in_use == 3
    assert slots.in_use == 0
    with slots.hold("tok-a", 30):
        assert slots.in_use == 1


def test_the_server_total_refuses_every_token_once_reached() -> None:
    slots = WaitSlots(WaitLimits(per_token=4, total=3))
    with ExitStack() as held:
        for token in ("a", "b", "c"):
            held.enter_context(slots.hold(token, 10))
        with pytest.raises(TooManyWaits) as refused:
            held.enter_context(slots.hold("d", 10))
        assert (refused.value.scope, refused.value.limit) == ("server", 3)
        assert "the server already holds 3" in str(refused.value)
    assert slots.in_use == 0


def test_a_refused_wait_holds_nothing() -> None:
    slots = WaitSlots(WaitLimits(per_token=1, total=1))
    with slots.hold("a", 10), pytest.raises(TooManyWaits), slots.hold("b", 10):
        pass  # pragma: no cover - refused before
    with slots.hold("b", 10):
        assert slots.in_use == 1


def test_waiting_on_an_event_loop_answers_once_the_group_commits(
    mesh: MeshRuntime, clock: Clock
) -> None:
    produce(mesh, TRADES, 0, 4, at_ms=clock.ms)
    checks: list[CaughtUp] = []

    async def check() -> CaughtUp:
        answer = await asyncio.to_thread(caught_up, mesh.log, "risk", TRADES, TRADES, {0: 4})
        checks.append(answer)
        if len(checks) == 2:  # the group commits while the question waits
            commit(mesh, "risk", TRADES, {0: 4})
        return answer

    answer = asyncio.run(await_caught_up(check, wait_s=20))

    assert answer.caught_up and len(checks) == 3
    assert not checks[0].caught_up and checks[0].behind == {0: 4}


def test_waiting_on_an_event_loop_gives_up_after_the_wait(mesh: MeshRuntime, clock: Clock) -> None:
    produce(mesh, TRADES, 0, 4, at_ms=clock.ms)

    async def check() -> CaughtUp:
        return await asyncio.to_thread(caught_up, mesh.log, "risk", TRADES, TRADES, {0: 4})

    answer = asyncio.run(await_caught_up(check, wait_s=0.5))

    assert not answer.caught_up and answer.behind == {0: 4}
