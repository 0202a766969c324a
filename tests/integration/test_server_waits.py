"""Long polls against a real ``streammesh up``: caught-up waits hold no worker thread (the
server keeps answering while dozens wait), a token may hold only a few at once, and
``/metrics`` is open to loopback clients only unless ``mesh.yaml`` says otherwise."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from streammesh.identity import Role
from tests.integration.api_v1_support import MESH_YAML, avro, descriptor, sources
from tests.support.streammesh_server import StreammeshServer

PRODUCT = "execution.stocktrades.v1"
POLLS = 45
WAIT_S = 25
# Not a timing bound: only "answers at all while the polls are pending" (they last 25 s).
ANSWER_TIMEOUT_S = 10.0
CONSUME_WAIT_S = 25
"""A REST consume's wait for its first event; the event produced ends it long before."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreammeshServer]:
    mesh = tmp_path_factory.mktemp("mesh")
    (mesh / "mesh.yaml").write_text(MESH_YAML, encoding="utf-8")
    with StreammeshServer(mesh) as running:
        admin = _headers(running.admin_token)
        applied = httpx.post(
            f"{running.url}/api/v1/apply",
            json=sources((descriptor(), avro())),
            headers=admin,
            timeout=30,
        )
        assert applied.status_code == 200, applied.text
        events = [{"trade_id": f"t{i}", "symbol": "ACME", "price": 1.0 + i} for i in range(8)]
        produced = httpx.post(
            f"{running.url}/api/v1/products/{PRODUCT}/events",
            json={"events": events},
            headers=admin,
            timeout=30,
        )
        assert produced.status_code == 200, produced.text
        yield running


def _headers(token: str | None) -> dict[str, str]:
    assert token is not None
    return {"Authorization": f"Bearer {token}"}


def _tokens(server: StreammeshServer, count: int, prefix: str) -> list[str]:
    tokens = []
    for i in range(count):
        created = httpx.post(
            f"{server.url}/api/v1/tokens",
            json={"principal": f"{prefix}-{i}", "role": Role.MEMBER.value},
            headers=_headers(server.admin_token),
            timeout=30,
        )
        assert created.status_code == 201, created.text
        tokens.append(created.json()["secret"])
    return tokens


def _end_offsets(server: StreammeshServer) -> dict[str, int]:
    metrics = httpx.get(
        f"{server.url}/api/v1/products/{PRODUCT}/metrics",
        headers=_headers(server.admin_token),
        timeout=30,
    )
    assert metrics.status_code == 200, metrics.text
    return {str(p["partition"]): p["end_offset"] for p in metrics.json()["partitions"]}


class _Polls:
    """Caught-up long polls of ``group``, one thread each, with their answers."""

    def __init__(self, server: StreammeshServer, group: str, tokens: list[str]) -> None:
        self._url = f"{server.url}/api/v1/groups/{group}/caught-up"
        self._body = {"product": PRODUCT, "offsets": _end_offsets(server), "wait": WAIT_S}
        self.answers: list[httpx.Response] = []
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._poll, args=(t,)) for t in tokens]

    def _poll(self, token: str) -> None:
        answer = httpx.post(self._url, json=self._body, headers=_headers(token), timeout=60)
        with self._lock:
            self.answers.append(answer)

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def answered(self) -> int:
        with self._lock:
            return len(self.answers)

    def join(self) -> None:
        for thread in self._threads:
            thread.join()


def _catch_up(server: StreammeshServer, group: str) -> None:
    """Read the product as ``group``, which answers the group's pending polls."""
    held = sum(_end_offsets(server).values())
    answer = httpx.get(
        f"{server.url}/api/v1/products/{PRODUCT}/events",
        params={"group": group, "max": 100, "timeout": 2},
        headers=_headers(server.admin_token),
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["events"]) == held


def _wait_until_pending(server: StreammeshServer, polls: _Polls, expected: int) -> None:
    """Give the polls time to reach the server (they wait 25 s, so none has answered)."""
    threading.Event().wait(2.0)
    assert polls.answered() == expected, [a.text for a in polls.answers]


def test_the_server_answers_while_45_caught_up_polls_wait(server: StreammeshServer) -> None:
    # 12 tokens holding 4 waits each: more waiting requests than the 40 worker threads.
    tokens = [t for t in _tokens(server, 12, "poller") for _ in range(4)][:POLLS]
    polls = _Polls(server, "slow-readers", tokens)
    polls.start()
    try:
        _wait_until_pending(server, polls, 0)
        health = httpx.get(f"{server.url}/healthz", timeout=ANSWER_TIMEOUT_S)
        assert health.status_code == 200 and health.json()["status"] == "ok"
        products = httpx.get(
            f"{server.url}/api/v1/products",
            headers=_headers(tokens[0]),
            timeout=ANSWER_TIMEOUT_S,
        )
        assert products.status_code == 200, products.text
        assert polls.answered() == 0  # the polls were still waiting meanwhile
        _catch_up(server, "slow-readers")
    finally:
        polls.join()
    assert len(polls.answers) == POLLS
    assert [a.status_code for a in polls.answers] == [200] * POLLS
    assert all(a.json()["caught_up"] for a in polls.answers)


def test_a_token_may_hold_four_caught_up_waits_at_once(server: StreammeshServer) -> None:
    [token] = _tokens(server, 1, "greedy")
    polls = _Polls(server, "four-waits", [token] * 4)
    polls.start()
    try:
        _wait_until_pending(server, polls, 0)
        fifth: Any = httpx.post(
            f"{server.url}/api/v1/groups/four-waits/caught-up",
            json={"product": PRODUCT, "offsets": _end_offsets(server), "wait": WAIT_S},
            headers=_headers(token),
            timeout=ANSWER_TIMEOUT_S,
        )
        assert fifth.status_code == 429, fifth.text
        assert 1 <= int(fifth.headers["Retry-After"]) <= WAIT_S
        error = fifth.json()["error"]
        assert error["code"] == "too-many-waits"
        assert "4 waiting request(s)" in error["message"]
        # Without 'wait' the same token is answered at once, and another token may wait.
        now = httpx.post(
            f"{server.url}/api/v1/groups/four-waits/caught-up",
            json={"product": PRODUCT, "offsets": _end_offsets(server)},
            headers=_headers(token),
            timeout=ANSWER_TIMEOUT_S,
        )
        assert now.status_code == 200 and now.json()["caught_up"] is False
        _catch_up(server, "four-waits")
    finally:
        polls.join()
    assert [a.status_code for a in polls.answers] == [200] * 4
    # The slots are free again.
    again = httpx.post(
        f"{server.url}/api/v1/groups/four-waits/caught-up",
        json={"product": PRODUCT, "offsets": _end_offsets(server), "wait": 1},
        headers=_headers(token),
        timeout=ANSWER_TIMEOUT_S,
    )
    assert again.status_code == 200 and again.json()["caught_up"] is True


@pytest.mark.slow
def test_the_server_answers_while_45_rest_consumes_wait_for_events(
    server: StreammeshServer,
) -> None:
    # A group each, caught up: every consume below waits, and one event produced afterwards
    # answers them all at once (more consumes than the server's pool for blocking waits, 32:
    # the rest queue there, holding no worker thread, and find the event when they run).
    groups = [f"idle-reader-{n}" for n in range(POLLS)]
    with ThreadPoolExecutor(8) as pool:  # each joins a group of its own: they may overlap
        list(pool.map(lambda group: _catch_up(server, group), groups))
    answers: list[httpx.Response] = []

    def consume(group: str) -> None:
        answers.append(
            httpx.get(
                f"{server.url}/api/v1/products/{PRODUCT}/events",
                params={"group": group, "max": 10, "timeout": CONSUME_WAIT_S},
                headers=_headers(server.admin_token),
                timeout=120,
            )
        )

    threads = [threading.Thread(target=consume, args=(group,)) for group in groups]
    for thread in threads:
        thread.start()
    try:
        threading.Event().wait(2.0)
        health = httpx.get(f"{server.url}/healthz", timeout=ANSWER_TIMEOUT_S)
        assert health.status_code == 200 and health.json()["status"] == "ok"
        products = httpx.get(
            f"{server.url}/api/v1/products",
            headers=_headers(server.admin_token),
            timeout=ANSWER_TIMEOUT_S,
        )
        assert products.status_code == 200, products.text
        assert not answers  # the consumes were still waiting meanwhile
        event = {"trade_id": "late", "symbol": "ACME", "price": 2.0}
        produced = httpx.post(
            f"{server.url}/api/v1/products/{PRODUCT}/events",
            json={"events": [event]},
            headers=_headers(server.admin_token),
            timeout=30,
        )
        assert produced.status_code == 200, produced.text
    finally:
        for thread in threads:
            thread.join()
    assert [a.status_code for a in answers] == [200] * POLLS
    read = [[e["value"]["trade_id"] for e in a.json()["events"]] for a in answers]
    assert read == [["late"]] * POLLS


def test_metrics_answer_loopback_clients_without_a_token(server: StreammeshServer) -> None:
    answer = httpx.get(f"{server.url}/metrics", timeout=30)
    assert answer.status_code == 200
    assert "streammesh_up 1.0" in answer.text


def test_metrics_need_a_token_when_mesh_yaml_says_so(tmp_path: Path) -> None:
    (tmp_path / "mesh.yaml").write_text("server:\n  metrics: token\n", encoding="utf-8")
    with StreammeshServer(tmp_path) as running:
        refused = httpx.get(f"{running.url}/metrics", timeout=30)
        assert refused.status_code == 401, refused.text
        assert refused.json()["error"]["code"] == "unauthenticated"
        answered = httpx.get(
            f"{running.url}/metrics", headers=_headers(running.admin_token), timeout=30
        )
        assert answered.status_code == 200
        assert "streammesh_up 1.0" in answered.text
