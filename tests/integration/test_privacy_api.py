"""``POST /api/v1/products/{reference}/forget``: who may forget an entity, and what it does."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from streammesh.audit import AuditAction, AuditLog
from streammesh.identity import Role
from streammesh.privacy import KeyStore, LocalKms
from streammesh.server.settings import ServerSettings
from streammesh.store import open_store
from tests.integration.api_v1_support import Served, avro, descriptor, serve, sources


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    for server in serve(tmp_path / "mesh"):
        applied = server.client.post(
            "/api/v1/apply", json=sources((descriptor(), avro())), headers=server.headers()
        )
        assert applied.status_code == 200, applied.text
        yield server


@contextmanager
def _keys(served: Served) -> Iterator[KeyStore]:
    url = ServerSettings(mesh=served.mesh).resolved_store_url
    with open_store(url) as store:
        yield KeyStore(store, LocalKms.for_mesh(served.mesh))


def test_forget_destroys_the_entity_key_and_is_audited(served: Served) -> None:
    with _keys(served) as keys:
        keys.current("execution.stocktrades.v1", b"t-1")
        keys.current("execution.stocktrades.v1", b"t-2")
    answer = served.client.post(
        "/api/v1/products/execution.stocktrades/forget",
        json={"key": "t-1"},
        headers=served.headers(Role.GOVERNANCE),
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"product": "execution.stocktrades", "key": "t-1", "versions": 1}
    with _keys(served) as keys:
        forgotten = keys.for_reading("execution.stocktrades.v1", b"t-1", 1, principal="app")
        kept = keys.for_reading("execution.stocktrades.v1", b"t-2", 1, principal="app")
        assert forgotten.exists and forgotten.key is None
        assert kept.key is not None
        (entry,) = AuditLog(keys.store).entries(actions=[AuditAction.KEY_DESTROYED])
        assert entry.actor == "governance-user" and entry.after == {
            "entity_key": "t-1",
            "versions": 1,
        }


@pytest.mark.parametrize(
    ("role", "status"), [(Role.MEMBER, 403), (Role.CONSUMER, 403), (None, 401)]
)
def test_only_admins_governance_and_owners_may_forget(
    served: Served, role: Role | None, status: int
) -> None:
    headers = {} if role is None else served.headers(role)
    answer = served.client.post(
        "/api/v1/products/execution.stocktrades/forget", json={"key": "t-1"}, headers=headers
    )
    assert answer.status_code == status, answer.text


def test_forget_of_an_unknown_product_is_404(served: Served) -> None:
    answer = served.client.post(
        "/api/v1/products/execution.nothing/forget", json={"key": "t-1"}, headers=served.headers()
    )
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "product-not-found"
