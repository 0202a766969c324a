"""Inputs that could pin a core or crash a parser are refused quickly, in the route's error
shape, and nothing is written: YAML alias bombs, deep nesting, ``!!python`` tags, huge
bodies, deeply nested schemas."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from streammesh.identity import Role
from tests.integration.api_v1_support import Served, avro, descriptor, serve, sources

REGISTER = "/registry/subjects/bounded-value/versions"


def alias_bomb() -> str:
    """A ~900-byte YAML document whose aliases expand to 9**9 strings ("billion laughs")."""
    lines = [
        "name: execution.bomb",
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ]
    for level in range(1, 9):
        previous, current = chr(ord("a") + level - 1), chr(ord("a") + level)
        lines.append(f"{current}: &{current} [" + ",".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def deep_avro(levels: int) -> str:
    """An Avro record nested ``levels`` records deep (built as text: json.dumps would recurse)."""
    text = '{"type": "record", "name": "R0", "fields": [{"name": "x", "type": "int"}]}'
    for level in range(1, levels):
        text = (
            f'{{"type": "record", "name": "R{level}", "fields": [{{"name": "f", "type": {text}}}]}}'
        )
    return text


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from serve(tmp_path_factory.mktemp("bounded") / "mesh")


def _api_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    return error


def _products(served: Served) -> list[str]:
    listed = served.client.get("/api/v1/products", headers=served.headers()).json()
    return [product["reference"] for product in listed]


def _subjects(served: Served) -> list[str]:
    subjects: list[str] = served.client.get("/registry/subjects", headers=served.headers()).json()
    return subjects


@pytest.mark.timeout(30)
def test_an_alias_bomb_sent_to_plan_is_refused_within_seconds(served: Served) -> None:
    bomb = alias_bomb()
    assert len(bomb) < 1000
    started = time.monotonic()
    response = served.client.post(
        "/api/v1/plan", json=sources((bomb, avro())), headers=served.headers(Role.CONSUMER)
    )
    assert time.monotonic() - started < 5
    error = _api_error(response, 422)
    assert error["code"] == "invalid-descriptor"
    [detail] = error["details"]
    assert "aliases are expanded" in detail["message"]
    assert detail["line"] is not None


@pytest.mark.timeout(30)
def test_deeply_nested_yaml_is_refused_with_its_line(served: Served) -> None:
    deep = descriptor("execution.deep") + "tags: " + "[" * 5000 + "]" * 5000 + "\n"
    response = served.client.post(
        "/api/v1/plan", json=sources((deep, avro())), headers=served.headers(Role.MEMBER)
    )
    error = _api_error(response, 422)
    assert error["code"] == "invalid-descriptor"
    assert "nested deeper than 64 levels" in error["details"][0]["message"]


@pytest.mark.timeout(30)
def test_a_python_tag_is_refused_by_name_and_nothing_runs(served: Served, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    hostile = descriptor("execution.hostile") + (
        f"x: !!python/object/apply:os.system ['touch {marker}']\n"
    )
    response = served.client.post(
        "/api/v1/apply", json=sources((hostile, avro())), headers=served.headers()
    )
    error = _api_error(response, 422)
    [detail] = error["details"]
    assert "tag '!!python/object/apply:os.system' is not allowed" in detail["message"]
    assert detail["line"] == 15
    assert not marker.exists()
    assert "execution.hostile.v1" not in _products(served)


@pytest.mark.timeout(30)
def test_an_avro_schema_5000_levels_deep_is_a_registry_422(served: Served) -> None:
    response = served.client.post(
        REGISTER, json={"schema": deep_avro(5000)}, headers=served.headers()
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error_code"] == 42201
    assert "nested deeper than" in body["message"]
    assert "bounded-value" not in _subjects(served)


@pytest.mark.timeout(30)
def test_a_deeply_nested_json_body_is_a_422_in_each_route_shape(served: Served) -> None:
    deep = '{"policy": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + "}"
    headers = {**served.headers(Role.GOVERNANCE), "Content-Type": "application/json"}
    response = served.client.put("/api/v1/governance/policy", content=deep, headers=headers)
    error = _api_error(response, 422)
    assert error["code"] == "request-too-deep"
    assert "nested deeper than 64 levels" in error["message"]

    registry = served.client.post(
        REGISTER,
        content='{"schema": "x", "references": ' + "[" * 5000 + "]" * 5000 + "}",
        headers=headers,
    )
    assert registry.status_code == 422
    assert registry.json()["error_code"] == 42201


@pytest.mark.timeout(60)
def test_a_50_mb_schema_is_refused_with_413_and_not_stored(served: Served) -> None:
    field = {"name": "f", "type": "string", "doc": "x" * (50 * 1024 * 1024)}
    body = json.dumps({"schema": avro(field)})
    response = served.client.post(REGISTER, content=body, headers=served.headers())
    assert response.status_code == 413, response.text
    refused = response.json()
    assert refused["error_code"] == 41301
    assert "server.request_limits.registry" in refused["message"]
    assert "bounded-value" not in _subjects(served)


@pytest.mark.timeout(60)
def test_a_chunked_body_without_length_is_cut_off_at_the_limit(served: Served) -> None:
    chunks = [b'{"products": [{"descriptor": "'] + [b"x" * 65536] * 40 + [b'"}]}']
    response = served.client.post(
        "/api/v1/plan",
        content=iter(chunks),
        headers={**served.headers(), "Content-Type": "application/json"},
    )
    error = _api_error(response, 413)
    assert error["code"] == "request-too-large"
    assert "server.request_limits.api" in error["message"]


def test_a_body_within_the_limits_goes_through(served: Served) -> None:
    response = served.client.post(
        "/api/v1/plan",
        json=sources((descriptor("execution.small"), avro())),
        headers=served.headers(),
    )
    assert response.status_code == 200, response.text


def test_a_pattern_without_a_linear_match_is_refused_at_registration(served: Served) -> None:
    schema = {
        "type": "object",
        "properties": {"code": {"type": "string", "pattern": "^(?=.*[0-9])[a-z0-9]+$"}},
    }
    response = served.client.post(
        REGISTER,
        json={"schemaType": "JSON", "schema": json.dumps(schema)},
        headers=served.headers(),
    )
    assert response.status_code == 422, response.text
    assert response.json()["error_code"] == 42201
    assert "cannot be matched in linear time" in response.json()["message"]
    assert "bounded-value" not in _subjects(served)


@pytest.mark.timeout(30)
def test_an_event_against_a_backtracking_pattern_is_refused_within_seconds(served: Served) -> None:
    schema = {
        "title": "Code",
        "type": "object",
        "properties": {
            "trade_id": {"type": "string"},
            "code": {"type": "string", "pattern": "^(a+)+$"},
        },
        "required": ["trade_id"],
    }
    text = descriptor("execution.codes").replace("stocktrades.avsc", "codes.json")
    applied = served.client.post(
        "/api/v1/apply", json=sources((text, json.dumps(schema))), headers=served.headers()
    )
    assert applied.status_code == 200, applied.text
    started = time.monotonic()
    response = served.client.post(
        "/api/v1/products/execution.codes.v1/events",
        json={"events": [{"trade_id": "t-1", "code": "a" * 5000 + "!"}]},
        headers=served.headers(),
    )
    assert time.monotonic() - started < 5
    error = _api_error(response, 422)
    assert error["code"] == "invalid-event"
    assert [(d["path"], d["rule"]) for d in error["details"]] == [("code", "pattern")]


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None, page
    return found.group(1)


@pytest.mark.timeout(30)
def test_the_publish_form_refuses_an_alias_bomb_within_seconds(served: Served) -> None:
    client = served.client
    signed_in = client.post(
        "/ui/sign-in",
        data={"token": served.tokens[Role.MEMBER], "csrf": _csrf(client.get("/ui/sign-in").text)},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303, signed_in.text
    form = {
        "descriptor": alias_bomb(),
        "schema_text": avro(),
        "action": "plan",
        "csrf": _csrf(client.get("/ui/publish").text),
    }
    started = time.monotonic()
    response = client.post("/ui/publish", data=form)
    assert time.monotonic() - started < 5
    assert response.status_code == 422
    assert "aliases are expanded" in response.text
