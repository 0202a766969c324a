"""The data plane enforces grants: in-process with ``Mesh.open(principal=...)`` and over REST.

A consumer without a grant is refused, with one is served, and loses access on revoke or
expiry; without classified fields in its grant it sees them masked; only the owning team's
applications write.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from streammesh.access import AccessDenied, AccessService, Caller
from streammesh.identity import AccountKind, Role, TokenStore
from streammesh.privacy import MASK_TEXT
from streammesh.sdk import InProcessMesh, Mesh
from streammesh.server.app import create_app
from streammesh.server.settings import ServerSettings
from streammesh.store import open_store
from tests.unit.cli.invoking import invoke_cli

ADMIN = Caller("admin", Role.PLATFORM_ADMIN)
PRODUCT = "sales.orders"


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    result = invoke_cli("init", "sales", "--dir", str(tmp_path / "repo"))
    assert result.exit_code == 0, result.stderr
    descriptor = tmp_path / "repo" / "sales" / "orders.yaml"
    descriptor.write_text(
        descriptor.read_text().replace("status: draft", "status: published"), encoding="utf-8"
    )
    home = tmp_path / "mesh"
    with Mesh.open(home, actor="owner") as operator:
        operator.apply([tmp_path / "repo" / "sales"])
        with operator.producer(PRODUCT) as producer:
            for number in range(3):
                producer.send(
                    {
                        "orders_id": f"o-{number}",
                        "customer_email": f"user{number}@example.com",
                        "status": "placed",
                        "updated_at": datetime(2026, 11, 23, tzinfo=UTC),
                    }
                )
        access = AccessService(operator.local.store, operator.local.plane)
        access.create_account(
            "billing-app",
            AccountKind.SERVICE_ACCOUNT,
            team="sales-team",
            description="",
            actor="admin",
        )
        access.create_account(
            "orders-ingest",
            AccountKind.SERVICE_ACCOUNT,
            team="sales-team",
            description="",
            actor="admin",
        )
        operator.local.plane.register_team(
            "finance-team", domain=None, email=None, description=None, actor="admin"
        )
        access.create_account(
            "ledger-app",
            AccountKind.SERVICE_ACCOUNT,
            team="finance-team",
            description="",
            actor="admin",
        )
    yield home


def read_emails(mesh: InProcessMesh, group: str) -> list[str]:
    with mesh.consumer(PRODUCT, group) as consumer:
        return sorted(event.value["customer_email"] for event in consumer.take(3, timeout=10))


@contextmanager
def deciding(home: Path) -> Iterator[AccessService]:
    """The access service of the mesh, as its platform admin."""
    with Mesh.open(home, actor="admin") as operator:
        yield AccessService(operator.local.store, operator.local.plane)


def test_grants_decide_who_reads_and_what_they_see(home: Path) -> None:
    with (
        Mesh.open(home, principal="ledger-app") as ledger,
        pytest.raises(AccessDenied, match="ledger-app"),
    ):
        ledger.consumer(PRODUCT, "ledger")
    with deciding(home) as access:
        masked = access.request(
            PRODUCT, "ledger-app", purpose="totals", classified=False, caller=ADMIN
        )
        # The product has a pii field: its owners decide, nothing is auto-approved.
        assert masked.state.value == "requested"
        access.approve(masked.id, caller=ADMIN)
    with Mesh.open(home, principal="ledger-app") as ledger:
        assert read_emails(ledger, "ledger") == [MASK_TEXT] * 3
    with deciding(home) as access:
        clear = access.request(
            PRODUCT, "ledger-app", purpose="invoices", classified=True, caller=ADMIN
        )
        access.approve(clear.id, caller=ADMIN)
    with Mesh.open(home, principal="ledger-app") as ledger:
        assert read_emails(ledger, "ledger-clear") == [f"user{n}@example.com" for n in range(3)]
    with deciding(home) as access:
        access.revoke(clear.id, caller=ADMIN)
        access.revoke(masked.id, caller=ADMIN)
    with Mesh.open(home, principal="ledger-app") as ledger, pytest.raises(AccessDenied):
        ledger.consumer(PRODUCT, "ledger")


def test_a_grant_expires(home: Path) -> None:
    with deciding(home) as access:
        request = access.request(
            PRODUCT, "billing-app", purpose="x", classified=False, caller=ADMIN
        )
        access.approve(
            request.id, caller=ADMIN, expires_at=datetime.now(UTC) + timedelta(seconds=1)
        )
    with Mesh.open(home, principal="billing-app") as billing:
        assert len(read_emails(billing, "billing")) == 3
        time.sleep(1.2)
        with pytest.raises(AccessDenied):
            billing.consumer(PRODUCT, "billing")


def test_only_the_owning_teams_applications_write(home: Path) -> None:
    with Mesh.open(home, principal="ledger-app") as other, pytest.raises(AccessDenied):
        other.producer(PRODUCT)
    with Mesh.open(home, principal="orders-ingest") as ingest, ingest.producer(PRODUCT) as producer:
        producer.send(
            {
                "orders_id": "o-9",
                "customer_email": "new@example.com",
                "status": "placed",
                "updated_at": datetime(2026, 11, 23, tzinfo=UTC),
            }
        )


def test_rest_consume_needs_a_grant_and_masks_without_classified(home: Path) -> None:
    app = create_app(ServerSettings(mesh=home))
    with open_store(f"sqlite:///{home / 'meta.db'}") as store:
        ledger = TokenStore(store).create("ledger-app", Role.CONSUMER).secret
        admin = TokenStore(store).create("ops", Role.PLATFORM_ADMIN).secret
    events = f"/api/v1/products/{PRODUCT}/events"
    with TestClient(app) as client:
        refused = client.get(
            events, params={"group": "ledger"}, headers={"Authorization": f"Bearer {ledger}"}
        )
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "access-denied"
        # A platform admin without a grant may look, but sees no classified data.
        looked = client.get(
            events,
            params={"group": "ops", "max": 3, "timeout": 5},
            headers={"Authorization": f"Bearer {admin}"},
        )
        assert looked.status_code == 200, looked.text
        values = [event["value"] for event in looked.json()["events"]]
        assert [value["customer_email"] for value in values] == [MASK_TEXT] * 3
        assert sorted(value["orders_id"] for value in values) == ["o-0", "o-1", "o-2"]
    with deciding(home) as access:
        request = access.request(
            PRODUCT, "ledger-app", purpose="invoices", classified=True, caller=ADMIN
        )
        access.approve(request.id, caller=ADMIN)
    with TestClient(create_app(ServerSettings(mesh=home))) as client:
        served = client.get(
            events,
            params={"group": "ledger", "max": 3, "timeout": 5},
            headers={"Authorization": f"Bearer {ledger}"},
        )
        assert served.status_code == 200, served.text
        emails = sorted(event["value"]["customer_email"] for event in served.json()["events"])
        assert emails == [f"user{n}@example.com" for n in range(3)]
