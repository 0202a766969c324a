"""A produce request's body is read as FastAPI reads a JSON body: anything that is not a
``{"events": [...]}`` object of 1 to 10,000 event objects is refused with the field that is
wrong (422) or as unreadable (400), and nothing is written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.api_v1_support import Served, avro, descriptor, serve, sources

NAME = "execution.restbodies"
PRODUCT = f"{NAME}.v1"
EVENTS = f"/api/v1/products/{PRODUCT}/events"
JSON = "application/json"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    for each in serve(tmp_path_factory.mktemp("bodies") / "mesh"):
        applied = each.client.post(
            "/api/v1/apply", json=sources((descriptor(NAME), avro())), headers=each.headers()
        )
        assert applied.status_code == 200, applied.text
        yield each


def _post(
    served: Served, body: bytes, content_type: str | None = JSON
) -> tuple[int, dict[str, Any]]:
    headers = served.headers()
    if content_type is not None:
        headers["Content-Type"] = content_type
    answer = served.client.post(EVENTS, content=body, headers=headers)
    return answer.status_code, answer.json()


def _written(served: Served) -> int:
    stats = served.client.get(f"/api/v1/products/{PRODUCT}/stats", headers=served.headers())
    return int(stats.json()["total_events"])


def _paths(answer: dict[str, Any]) -> list[str]:
    return [detail["path"] for detail in answer["error"].get("details", [])]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "paths"),
    [
        (b'{"events": [1]}', JSON, 422, ["body.events.0"]),
        (b'{"events": [{"trade_id": "t"}], "more": 1}', JSON, 422, ["body.more"]),
        (b'{"evnts": [{"trade_id": "t"}]}', JSON, 422, ["body.events", "body.evnts"]),
        (b'[{"trade_id": "t"}]', JSON, 422, ["body"]),
        (b'{"events": [{"trade_id": "t"}', JSON, 422, ["body.29"]),
        (b'{"events": [{"trade_id": "t"}]}', "text/plain", 422, ["body"]),
        (b'{"events": [{"trade_id": "t"}]}', None, 422, ["body"]),
        (b"", JSON, 422, ["body"]),
        (b"\xff\xfe\x05", JSON, 400, []),
    ],
    ids=[
        "not-an-object",
        "extra-field",
        "misspelt",
        "a-list",
        "truncated",
        "not-json-typed",
        "no-content-type",
        "empty",
        "not-utf8",
    ],
)
def test_a_body_that_is_not_a_batch_is_refused_naming_what_is_wrong(
    served: Served, body: bytes, content_type: str | None, status: int, paths: list[str]
) -> None:
    before = _written(served)
    answered, answer = _post(served, body, content_type)
    assert answered == status, answer
    assert _paths(answer) == paths, answer
    assert _written(served) == before


def test_a_batch_is_taken_with_a_charset_or_a_json_suffix_and_in_utf16(served: Served) -> None:
    batch = '{"events": [{"trade_id": "t1", "symbol": "ACME", "price": 1.5}]}'
    assert _post(served, batch.encode(), "application/json; charset=utf-8")[0] == 200
    assert _post(served, batch.encode(), "application/vnd.batch+json")[0] == 200
    assert _post(served, batch.encode("utf-16"), JSON)[0] == 200
