"""A consumer group belongs to the principal that registered it with the product: another
grant holder (a platform admin or the CLI's operator included) may neither read nor commit
under it, so it cannot make the owner skip events — in-process, over REST and in the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from streammesh.control import ConsumerGroupTaken
from streammesh.identity import Role, TokenStore
from streammesh.sdk import Mesh
from streammesh.server.app import create_app
from streammesh.server.settings import ServerSettings
from streammesh.store import open_store
from tests.integration.test_access_enforcement import ADMIN, PRODUCT, deciding, home
from tests.unit.cli.invoking import invoke_cli

__all__ = ["home"]  # the fixture: a mesh with sales.orders (3 events) and its applications


def _grant(home: Path, *principals: str) -> None:
    with deciding(home) as access:
        for principal in principals:
            request = access.request(
                PRODUCT, principal, purpose="reports", classified=False, caller=ADMIN
            )
            access.approve(request.id, caller=ADMIN)


def _ids(events: list[dict[str, object]]) -> list[object]:
    return [event["value"]["orders_id"] for event in events]  # type: ignore[index]


def test_another_application_cannot_read_under_a_group_in_process(home: Path) -> None:
    _grant(home, "billing-app", "ledger-app")
    with Mesh.open(home, principal="billing-app") as billing:
        with billing.consumer(PRODUCT, "billing") as consumer:
            first = consumer.take(1, timeout=10)
        assert len(first) == 1

    with (
        Mesh.open(home, principal="ledger-app") as ledger,
        pytest.raises(
            ConsumerGroupTaken, match=r"'billing' of 'sales\.orders\.v1' belongs to"
        ) as e,
    ):
        ledger.consumer(PRODUCT, "billing")
    assert (e.value.owner, e.value.principal) == ("billing-app", "ledger-app")

    # The owner resumes where it left off: nothing was read or committed in its name.
    with Mesh.open(home, principal="billing-app") as billing:
        with billing.consumer(PRODUCT, "billing") as consumer:
            rest = consumer.take(2, timeout=10)
        assert len(rest) == 2
        assert {event.value["orders_id"] for event in first + rest} == {"o-0", "o-1", "o-2"}
    with Mesh.open(home, principal="ledger-app") as ledger, ledger.consumer(PRODUCT, "ledger"):
        pass  # its own group is fine


def test_another_token_cannot_read_under_a_group_over_rest(home: Path) -> None:
    _grant(home, "billing-app", "ledger-app")
    with open_store(f"sqlite:///{home / 'meta.db'}") as store:
        tokens = TokenStore(store)
        billing = tokens.create("billing-app", Role.CONSUMER).secret
        ledger = tokens.create("ledger-app", Role.CONSUMER).secret
        admin = tokens.create("ops", Role.PLATFORM_ADMIN).secret
    events = f"/api/v1/products/{PRODUCT}/events"

    def read(token: str, group: str, count: int) -> tuple[int, dict[str, object]]:
        answer = client.get(
            events,
            params={"group": group, "max": count, "timeout": 5},
            headers={"Authorization": f"Bearer {token}"},
        )
        return answer.status_code, answer.json()

    with TestClient(create_app(ServerSettings(mesh=home))) as client:
        status, first = read(billing, "billing", 1)
        assert status == 200, first
        for intruder in (ledger, admin):
            status, refused = read(intruder, "billing", 3)
            assert status == 403, refused
            error = refused["error"]
            assert isinstance(error, dict)
            assert error["code"] == "consumer-group-taken"
            assert "belongs to 'billing-app'" in error["message"]
        status, rest = read(billing, "billing", 3)
        assert status == 200, rest
        got = _ids(first["events"]) + _ids(rest["events"])  # type: ignore[arg-type]
        assert sorted(got) == ["o-0", "o-1", "o-2"]  # type: ignore[type-var]


def test_the_cli_operator_cannot_consume_under_an_applications_group(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STREAMMESH_HOME", str(home))
    _grant(home, "billing-app")
    with Mesh.open(home, principal="billing-app") as billing:
        billing.consumer(PRODUCT, "billing").close()
    refused = invoke_cli("consume", PRODUCT, "--group", "billing", "--timeout", "1")
    assert refused.exit_code == 1, refused.stdout + refused.stderr
    assert "consumer group 'billing'" in refused.stderr
    assert "belongs to 'billing-app'" in refused.stderr
    assert "o-0" not in refused.stdout
    mine = invoke_cli("consume", PRODUCT, "--group", "cli-reader", "--timeout", "1")
    assert mine.exit_code == 0, mine.stderr
    again = invoke_cli(  # the operator's own group, a second time
        "consume", PRODUCT, "--group", "cli-reader", "--timeout", "1"
    )
    assert again.exit_code == 0, again.stderr
