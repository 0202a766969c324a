"""A PostgreSQL that hangs (accepts connections, answers nothing) while ``streammesh up`` runs.

The database of these tests is frozen with SIGSTOP, the postmaster and every backend: the
kernel still accepts TCP connections and acknowledges packets, so nothing but the server's
own bounds can notice. Requests that need the store must answer 503 naming it within
:data:`ANSWER_BOUND_S`, ``/readyz`` must say the store failed, ``/healthz`` must stay 200, and
once the database runs again the same server must serve without a restart. Every request is
made with a deadline of its own: a hang fails the test instead of hanging it.

It has a PostgreSQL of its own: a frozen server shared with other tests would hang them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from streammesh.store import StoreTimeouts
from tests.support.postgres import EmbeddedPostgres
from tests.support.streammesh_server import StreammeshServer

pytestmark = pytest.mark.slow

ANSWER_BOUND_S = 15.0
"""A request needing a hung store answers within this: the server's own bounds add up to
~8 s (6 s of silence, then a 2 s reconnect); the rest is room for a loaded CI machine."""
READY_BOUND_S = 6.0
"""``/readyz``'s probe gives up after ~2 s; the rest is room for a loaded CI machine."""
DEADLINE_S = 30.0
"""How long a request may take before the test calls it a hang (the database is resumed
then, so the hung request finishes and the test ends)."""


@pytest.fixture
def postgres() -> Iterator[EmbeddedPostgres]:
    with EmbeddedPostgres() as server:
        try:
            yield server
        finally:
            server.resume()  # never leave a frozen server to the teardown


def _timed(url: str, headers: dict[str, str] | None = None) -> tuple[httpx.Response, float]:
    """GET ``url``; fail the test if it takes past the deadline."""
    started = time.monotonic()
    try:
        answer = httpx.get(url, headers=headers, timeout=DEADLINE_S)
    except httpx.TimeoutException:
        pytest.fail(f"GET {url} hung for more than {DEADLINE_S:.0f} s")
    return answer, time.monotonic() - started


def test_a_hung_postgres_answers_503_naming_the_store_and_serves_again_after(
    postgres: EmbeddedPostgres, tmp_path: Path
) -> None:
    url = postgres.create_database()
    with StreammeshServer(tmp_path / "mesh", "--store", url, "--no-workers") as server:
        headers = {"Authorization": f"Bearer {server.admin_token}"}
        products = f"{server.url}/api/v1/products"
        warm, _ = _timed(products, headers)
        assert warm.status_code == 200, warm.text  # a pooled connection now waits

        postgres.pause()
        try:
            hung, hung_s = _timed(products, headers)
            ready, ready_s = _timed(f"{server.url}/readyz")
            live, _ = _timed(f"{server.url}/healthz")
        finally:
            postgres.resume()

        again, _ = _timed(products, headers)
        ready_again = _ready_within(f"{server.url}/readyz", 15.0)

    assert hung.status_code == 503, hung.text
    error = hung.json()["error"]
    assert error["code"] == "store-unavailable"
    assert url.rsplit("/", 1)[1] in error["message"]  # names the store
    assert hung_s <= ANSWER_BOUND_S, f"the request took {hung_s:.1f} s"
    assert ready.status_code == 503, ready.text
    assert "store" in ready.json()["failed"]  # (and the key service, whose keys it holds)
    assert ready_s <= READY_BOUND_S, f"/readyz took {ready_s:.1f} s"
    assert live.status_code == 200
    assert again.status_code == 200, again.text
    assert ready_again.status_code == 200, ready_again.text


def _ready_within(url: str, seconds: float) -> httpx.Response:
    """``/readyz`` until it is 200 (its probes run at most once a second), or its last answer."""
    deadline = time.monotonic() + seconds
    while True:
        answer, _ = _timed(url)
        if answer.status_code == 200 or time.monotonic() > deadline:
            return answer
        time.sleep(0.2)


def test_requests_are_bounded_and_maintenance_is_not() -> None:
    """The server's bounds follow its dependency timeout; the CLI's leave statements be."""
    serving = StoreTimeouts.for_requests(5.0)

    assert serving.statement_s == 5.0
    assert serving.reply_s is not None and serving.reply_s > serving.statement_s
    assert serving.reply_s + serving.connect_s <= ANSWER_BOUND_S
    assert StoreTimeouts().statement_s is None and StoreTimeouts().reply_s is None
