"""Access requests and grants through the SDK's mesh client, in-process and remote alike: the
in-process client decides as the mesh's operator, the remote one as the platform admin whose
token ``streammesh up`` printed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from streammesh.access import (
    AccessRequestExists,
    AccessRequestNotFound,
    AccessState,
    AccessStateError,
    InvalidAccessRequest,
)
from streammesh.control import ProductNotFound
from streammesh.errors import ConfigError
from streammesh.identity import AccountKind, AccountNotFound
from streammesh.sdk import MeshClient, NotServedRemotely
from streammesh.sdk.local import InProcessMesh
from tests.conformance.client.conftest import unique

REQUEST_FIELDS = {
    "id", "principal", "product", "purpose", "classified", "state", "requested_at",
    "requested_by", "decided_at", "decided_by", "note", "expires_at", "ended_at", "ended_by",
}  # fmt: skip

_SCHEMA = {
    "type": "record",
    "name": "Row",
    "fields": [
        {"name": "id", "type": "string", "doc": "Identifier."},
        {"name": "amount", "type": "double", "doc": "Amount in euros."},
    ],
}


@dataclass(frozen=True, slots=True)
class Products:
    """Two published products of one new domain, and a service account of another team."""

    open: str  # nothing classified: approved at once
    classified: str  # a confidential field: its owners decide
    application: str
    user: str


def _descriptor(name: str, team: str, *, classified: bool) -> str:
    text = (
        f"name: {name}\n"
        "owner: {name: Ada Lovelace, email: ada@example.com}\n"
        f"team: {team}\n"
        "description: Rows for access tests.\n"
        "alignment: source\n"
        "kind: state\n"
        "key: {field: id, type: string}\n"
        "schema: rows.avsc\n"
        "partitions: xs\n"
        "sla: {tier: 2}\n"
        "status: published\n"
    )
    return text + ("classifications: {amount: [confidential]}\n" if classified else "")


@pytest.fixture
def products(client: MeshClient, tmp_path: Path) -> Products:
    domain, team, readers = unique("acc"), unique("owners"), unique("readers")
    client.register_domain(domain)
    client.register_team(team, domain=domain)
    client.register_team(readers)
    (tmp_path / "rows.avsc").write_text(json.dumps(_SCHEMA), encoding="utf-8")
    names = {"open": f"{domain}.rows", "classified": f"{domain}.people"}
    for label, name in names.items():
        text = _descriptor(name, team, classified=label == "classified")
        (tmp_path / f"{label}.yaml").write_text(text, encoding="utf-8")
    client.apply([tmp_path])
    application, user = unique("app"), unique("user")
    client.accounts.create(application, AccountKind.SERVICE_ACCOUNT, team=readers)
    client.accounts.create(user, AccountKind.USER, team=readers)
    return Products(names["open"], names["classified"], application, user)


def test_a_request_for_an_unclassified_product_is_approved_at_once(
    client: MeshClient, products: Products
) -> None:
    created = client.access.request(products.open, products.application, purpose="score")
    assert set(created) == REQUEST_FIELDS
    assert created["state"] == "approved" and created["product"] == f"{products.open}.v1"
    assert created["principal"] == products.application and created["classified"] is False
    assert client.access.get(created["id"]) == created
    listed = client.access.requests(product=products.open)
    assert [item["id"] for item in listed] == [created["id"]]
    assert client.access.requests(principal=products.application, state=AccessState.REJECTED) == []


def test_a_classified_request_waits_for_approval_then_is_revoked(
    client: MeshClient, products: Products
) -> None:
    access = client.access
    asked = access.request(
        products.classified, products.application, purpose="sync contacts", classified=True
    )
    assert asked["state"] == "requested" and asked["classified"] is True
    pending = access.requests(state=AccessState.REQUESTED, principal=products.application)
    assert [item["id"] for item in pending] == [asked["id"]]

    until = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    approved = access.approve(asked["id"], note="ok", expires_at=until)
    assert approved["state"] == "approved" and approved["note"] == "ok"
    assert datetime.fromisoformat(approved["expires_at"]) == until

    revoked = access.revoke(asked["id"], note="done")
    assert revoked["state"] == "revoked" and revoked["note"] == "done"
    assert access.get(asked["id"])["state"] == "revoked"
    found = access.requests(product=f"{products.classified}.v1", state=AccessState.REVOKED)
    assert [item["id"] for item in found] == [asked["id"]]


def test_a_rejected_request_stays_rejected(client: MeshClient, products: Products) -> None:
    asked = client.access.request(
        products.classified, products.application, purpose="p", classified=True
    )
    rejected = client.access.reject(asked["id"], note="not needed")
    assert rejected["state"] == "rejected" and rejected["note"] == "not needed"
    with pytest.raises(AccessStateError, match="it is rejected") as refused:
        client.access.approve(asked["id"])
    assert (refused.value.request_id, refused.value.state, refused.value.action) == (
        asked["id"],
        "rejected",
        "approve",
    )


def test_refusals_are_the_same_errors(client: MeshClient, products: Products) -> None:
    access = client.access
    with pytest.raises(AccessRequestNotFound, match="'feedfacefeedface' not found"):
        access.get("feedfacefeedface")
    with pytest.raises(AccessRequestNotFound):
        access.revoke("feedfacefeedface")
    with pytest.raises(ProductNotFound):
        access.request(f"{products.open}x", products.application, purpose="p")
    nobody = unique("nobody")
    with pytest.raises(AccountNotFound) as missing:
        access.request(products.open, nobody, purpose="p")
    assert missing.value.name == nobody
    with pytest.raises(InvalidAccessRequest, match="service accounts"):
        access.request(products.open, products.user, purpose="p")
    with pytest.raises(InvalidAccessRequest, match="purpose is empty"):
        access.request(products.open, products.application, purpose=" ")
    first = access.request(products.open, products.application, purpose="p")
    with pytest.raises(AccessRequestExists, match=first["id"]) as exists:
        access.request(products.open, products.application, purpose="again")
    assert (exists.value.principal, exists.value.product, exists.value.existing) == (
        products.application,
        f"{products.open}.v1",
        first["id"],
    )
    # Nothing was written by the refusals.
    assert [item["id"] for item in access.requests(principal=products.application)] == [first["id"]]


def test_acl_sync_runs_on_the_meshs_host_only(client: MeshClient) -> None:
    if isinstance(client, InProcessMesh):
        # An embedded mesh has no Kafka cluster: the sync says how to turn ACLs on.
        with pytest.raises(ConfigError, match=r"ACL management is off.*kafka: \{acls: true\}"):
            client.access.sync_acls(dry_run=True)
    else:
        with pytest.raises(NotServedRemotely, match="access sync --mesh DIR"):
            client.access.sync_acls(dry_run=True)
