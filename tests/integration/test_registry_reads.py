"""``GET /registry/schemas/ids/{id}`` answered from memory: the same answers as from the store,
a permanent delete seen at once, and a token still needed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.api_v1_support import Served, serve

MONEY = json.dumps(
    {
        "type": "record",
        "name": "Money",
        "namespace": "acme",
        "fields": [{"name": "cents", "type": "long"}],
    }
)
PAYMENT = json.dumps(
    {
        "type": "record",
        "name": "Payment",
        "namespace": "acme",
        "fields": [{"name": "amount", "type": "acme.Money"}],
    }
)
PROTO = 'syntax = "proto3";\npackage acme;\nmessage Trade {\n  string symbol = 1;\n}\n'


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    yield from serve(tmp_path / "mesh")


def _register(served: Served, subject: str, body: dict[str, object]) -> int:
    answer = served.client.post(
        f"/registry/subjects/{subject}/versions", json=body, headers=served.headers()
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["id"])


def test_reads_by_id_answer_the_same_from_memory(served: Served) -> None:
    money = _register(served, "acme.money-value", {"schema": MONEY})
    reference = {"name": "acme.Money", "subject": "acme.money-value", "version": 1}
    payment = _register(
        served, "acme.payments-value", {"schema": PAYMENT, "references": [reference]}
    )
    trade = _register(served, "acme.trades-value", {"schema": PROTO, "schemaType": "PROTOBUF"})
    expected = {
        money: {"schema": MONEY},
        payment: {"schema": PAYMENT, "references": [reference]},
        trade: {"schema": PROTO, "schemaType": "PROTOBUF"},
    }
    for schema_id, body in expected.items():
        for _ in range(2):  # from the store, then from memory
            answer = served.client.get(
                f"/registry/schemas/ids/{schema_id}", headers=served.headers()
            )
            assert answer.status_code == 200
            assert answer.headers["content-type"] == "application/vnd.schemaregistry.v1+json"
            assert answer.json() == body
            raw = served.client.get(
                f"/registry/schemas/ids/{schema_id}/schema", headers=served.headers()
            )
            assert raw.text == body["schema"]
    serialized = served.client.get(
        f"/registry/schemas/ids/{trade}", params={"format": "serialized"}, headers=served.headers()
    )
    assert serialized.json()["schemaType"] == "PROTOBUF"
    assert serialized.json()["schema"] != PROTO  # a base64 FileDescriptorProto


def test_a_permanently_deleted_schema_is_404_at_once(served: Served) -> None:
    schema_id = _register(served, "acme.money-value", {"schema": MONEY})
    path = f"/registry/schemas/ids/{schema_id}"
    assert served.client.get(path, headers=served.headers()).status_code == 200
    for params in ({}, {"permanent": "true"}):
        deleted = served.client.delete(
            "/registry/subjects/acme.money-value", params=params, headers=served.headers()
        )
        assert deleted.status_code == 200, deleted.text
    gone = served.client.get(path, headers=served.headers())
    assert gone.status_code == 404
    assert gone.json()["error_code"] == 40403
    assert served.client.get(f"{path}/schema", headers=served.headers()).status_code == 404


def test_reads_from_memory_still_need_a_valid_token(served: Served) -> None:
    schema_id = _register(served, "acme.money-value", {"schema": MONEY})
    path = f"/registry/schemas/ids/{schema_id}"
    assert served.client.get(path, headers=served.headers()).status_code == 200
    assert served.client.get(path).status_code == 401
    refused = served.client.get(path, headers={"Authorization": "Bearer sm_not-a-token"})
    assert refused.status_code == 401
