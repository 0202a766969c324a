"""A server works on a few REST produces at once; the others wait their turn, and one that
cannot get a turn in time (the log is slow: every turn held) answers 503 ``log-timeout``
without writing anything, instead of waiting on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from streammesh.server.api import events as events_route
from streammesh.server.remote_data import PRODUCES_AT_ONCE, RemoteDataPlane
from tests.integration.api_v1_support import Served, avro, descriptor, serve, sources

NAME = "execution.stocktrades"
EVENTS = f"/api/v1/products/{NAME}/events"
TRADE = {"trade_id": "t-1", "symbol": "ACME", "price": 1.0}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    for served in serve(tmp_path / "mesh"):
        answer = served.client.post(
            "/api/v1/apply", json=sources((descriptor(NAME), avro())), headers=served.headers()
        )
        assert answer.status_code == 200, answer.text
        yield served


def _written(served: Served) -> int:
    answer = served.client.get(
        EVENTS, params={"group": "audit", "max": 100, "timeout": 2}, headers=served.headers()
    )
    assert answer.status_code == 200, answer.text
    return len(answer.json()["events"])


def test_a_produce_that_gets_no_turn_in_time_answers_503_and_writes_nothing(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = served.client.post(EVENTS, json={"events": [TRADE]}, headers=served.headers())
    assert first.status_code == 200, first.text
    kept = served.client.app.state.streammesh_remote_data  # type: ignore[attr-defined]
    assert isinstance(kept, RemoteDataPlane)
    portal = served.client.portal
    assert portal is not None
    holders = [object() for _ in range(PRODUCES_AT_ONCE)]  # requests stuck on a slow log
    for holder in holders:
        portal.call(kept.produce_turns.acquire_on_behalf_of_nowait, holder)
    monkeypatch.setattr(events_route, "TURN_WAIT_S", 0.2)

    waited = served.client.post(EVENTS, json={"events": [TRADE]}, headers=served.headers())

    assert waited.status_code == 503, waited.text
    assert waited.json()["error"]["code"] == "log-timeout"
    for holder in holders:
        portal.call(kept.produce_turns.release_on_behalf_of, holder)
    again = served.client.post(EVENTS, json={"events": [TRADE]}, headers=served.headers())
    assert again.status_code == 200, again.text
    assert _written(served) == 2  # the first and the last: the refused one wrote nothing
