"""schemathesis over the server's own ``/openapi.json``: every documented operation, called
with a valid admin token, must answer without a server error (5xx) and as the document says
(status code, content type, body schema, headers).

The operations come from the document itself, so routes added later are covered without
touching this file. The budget is small and the generation deterministic, so CI runs the
same cases every time in well under a minute and a half.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from streammesh.identity import TokenStore
from streammesh.server import create_app
from streammesh.server.settings import ServerSettings
from streammesh.store import open_store

EXAMPLES_PER_OPERATION = 20
"""Hypothesis examples per operation (valid and invalid requests both): the CI budget. With
~230 operations, 40 took about 90 s of a worker on a loaded CI machine; past ~20 deterministic
examples an operation's new cases rarely reach new code."""

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, str]]:
    """The application over a fresh mesh, and its admin token."""
    mesh = tmp_path_factory.mktemp("mesh")
    settings = ServerSettings(mesh=mesh)
    with open_store(settings.resolved_store_url) as store:
        issued = TokenStore(store).ensure_admin()
    assert issued is not None
    app = create_app(settings)
    with TestClient(app):  # runs the app's lifespan, so its store is closed afterwards
        yield app, issued.secret


def _served_document() -> dict[str, Any]:
    # Fetched at import, as schemathesis parametrizes at collection time (its fixture-based
    # loader does not work with pytest 9); the mesh is thrown away, the document is the same.
    with tempfile.TemporaryDirectory() as mesh:
        app = create_app(ServerSettings(mesh=Path(mesh)))
        with TestClient(app) as client:  # leaving it runs the lifespan, closing the store
            document: dict[str, Any] = client.get("/openapi.json").json()
    return document


DOCUMENT = _served_document()
schema = schemathesis.openapi.from_dict(DOCUMENT)
schema.config.generation.update(
    max_examples=EXAMPLES_PER_OPERATION, deterministic=True, database="none"
)


@schema.parametrize()
def test_every_operation_answers_as_documented(case: Any, served: tuple[FastAPI, str]) -> None:
    app, token = served
    case.call_and_validate(app=app, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)


def test_the_document_covers_the_registry_and_the_api() -> None:
    # Guards the run above against passing vacuously over an empty or partial document.
    assert "/registry/subjects/{subject}/versions" in DOCUMENT["paths"]
    assert "/api/v1/whoami" in DOCUMENT["paths"]


# What earlier runs found, pinned: each answered 500 (an overflowing SQLite integer) or a
# status the document did not list.


@pytest.fixture(scope="module")
def admin(served: tuple[FastAPI, str]) -> Iterator[TestClient]:
    app, token = served
    # Not entered as a context manager: the app's lifespan already runs in `served`.
    client = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    yield client
    client.close()


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/registry/schemas/ids/9223372036854775808", 422, 422),
        ("/registry/schemas/ids/-9223372036854775809/schema", 422, 422),
        ("/registry/subjects/s-value/versions/9223372036854775808", 422, 42202),
        ("/registry/subjects/s-value/versions/2147483648/schema", 422, 42202),
    ],
)
def test_numbers_beyond_confluents_ints_are_invalid_not_server_errors(
    admin: TestClient, path: str, status: int, code: int
) -> None:
    answer = admin.get(path)
    assert (answer.status_code, answer.json()["error_code"]) == (status, code)


def test_a_reference_to_a_version_beyond_an_int_is_an_invalid_request(admin: TestClient) -> None:
    body = {"schema": "{}", "references": [{"name": "a", "subject": "b", "version": 2**63}]}
    answer = admin.post("/registry/subjects/s-value/versions", json=body)
    assert answer.status_code == 422
    assert "references.0.version" in answer.json()["message"]


def test_a_body_that_is_not_utf8_is_a_documented_400(admin: TestClient) -> None:
    answer = admin.put(
        "/registry/config", content=b"\xff\xfe\x05", headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400
    assert "400" in DOCUMENT["paths"]["/registry/config"]["put"]["responses"]


def test_a_body_over_the_limit_is_a_documented_413_on_every_operation_with_a_body(
    admin: TestClient,
) -> None:
    # Found by the run above: a generated 2.4 MB proposal answered 413, which no operation
    # listed.
    answer = admin.post("/api/v1/governance/proposals", json={"body": "x" * 1_100_000})
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "request-too-large"
    with_body = [
        (path, method, operation["responses"])
        for path, item in DOCUMENT["paths"].items()
        for method, operation in item.items()
        if "requestBody" in operation
    ]
    assert len(with_body) > 20
    assert [(path, method) for path, method, responses in with_body if "413" not in responses] == []
    registry = DOCUMENT["paths"]["/registry/config"]["put"]["responses"]["413"]
    assert (
        registry["content"]
        == DOCUMENT["paths"]["/registry/config"]["put"]["responses"]["422"]["content"]
    )  # in the registry's (Confluent's) error shape there
