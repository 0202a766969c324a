"""Crypto-shredding through the SDK's mesh client, in-process and remote alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streammesh.control import ProductNotFound
from streammesh.privacy import InvalidEntityKey
from streammesh.sdk import MeshClient
from tests.conformance.client.conftest import unique

_SCHEMA = {
    "type": "record",
    "name": "Customer",
    "fields": [
        {"name": "id", "type": "long", "doc": "Identifier."},
        {"name": "email", "type": "string", "doc": "Where to write."},
    ],
}


@pytest.fixture
def product(client: MeshClient, tmp_path: Path) -> str:
    """A published product keyed by a long, with a classified field."""
    domain, team = unique("priv"), unique("owners")
    client.register_domain(domain)
    client.register_team(team, domain=domain)
    (tmp_path / "customers.avsc").write_text(json.dumps(_SCHEMA), encoding="utf-8")
    (tmp_path / "customers.yaml").write_text(
        f"name: {domain}.customers\n"
        "owner: {name: Ada Lovelace, email: ada@example.com}\n"
        f"team: {team}\n"
        "description: Customers for privacy tests.\n"
        "alignment: source\n"
        "kind: state\n"
        "key: {field: id, type: long}\n"
        "schema: customers.avsc\n"
        "partitions: xs\n"
        "sla: {tier: 2}\n"
        "status: published\n"
        "classifications: {email: [pii]}\n",
        encoding="utf-8",
    )
    client.apply([tmp_path])
    return f"{domain}.customers"


def test_forgetting_an_entity_answers_what_was_destroyed(client: MeshClient, product: str) -> None:
    with client.producer(product) as producer:  # type: ignore[attr-defined]
        producer.send({"id": 42, "email": "ada@example.com"})
    done = client.privacy.forget(f"{product}.v1", "42")
    assert done == {"product": product, "key": "42", "versions": 1}
    again = client.privacy.forget(product, "42")
    assert again == {"product": product, "key": "42", "versions": 0}


def test_a_key_of_the_wrong_type_is_refused(client: MeshClient, product: str) -> None:
    with pytest.raises(InvalidEntityKey, match="whose keys are long") as refused:
        client.privacy.forget(product, "user-2")
    assert refused.value.exit_code == 2


def test_an_unknown_product_is_refused(client: MeshClient) -> None:
    missing = f"{unique('nowhere')}.customers"
    with pytest.raises(ProductNotFound, match=missing):
        client.privacy.forget(missing, "1")
