"""Connectors through the SDK's mesh client (``mesh.connectors``), in-process and remote (over
``/connect``) alike: create from a definition, list, status, config, pause, resume, restart,
delete, and the same errors for a taken name, an unknown connector and a password in clear.

The connectors are placed on ``process`` so the server does not run them (no worker here).
"""

from __future__ import annotations

import pytest

from streammesh.connect import (
    ConnectError,
    ConnectorDesired,
    ConnectorExists,
    ConnectorPlacement,
    UnknownConnector,
)
from streammesh.identity import AccountKind
from streammesh.sdk import MeshClient
from tests.conformance.client.conftest import unique


def _definition(name: str, account: str, folder: str = "/tmp/conformance-drops") -> str:
    return (
        f"name: {name}\n"
        "kind: files\n"
        f"principal: {account}\n"
        "config:\n"
        f"  folder: {folder}\n"
        "  product: sales.orders\n"
        "  format: csv\n"
    )


@pytest.fixture
def account(client: MeshClient) -> str:
    domain, team, name = unique("con"), unique("team"), unique("sa")
    client.register_domain(domain)
    client.register_team(team, domain=domain, email=f"{team}@example.com")
    client.accounts.create(name, AccountKind.SERVICE_ACCOUNT, team=team)
    return name


def test_the_lifecycle_of_a_connector(client: MeshClient, account: str) -> None:
    name = unique("conn-")
    connectors = client.connectors

    created = connectors.create(_definition(name, account), placement="process")

    record = created.connector
    assert (record.name, record.kind, record.role, record.principal) == (
        name,
        "files",
        "source",
        account,
    )
    assert record.placement is ConnectorPlacement.PROCESS
    assert record.desired is ConnectorDesired.RUNNING and created.state == "UNASSIGNED"
    assert name in connectors.names()
    assert name in [item.connector.name for item in connectors.statuses()]
    config = connectors.config(name)
    assert config["connector.class"] == "files" and config["folder"] == "/tmp/conformance-drops"

    paused = connectors.pause(name)
    assert paused.state == "PAUSED" and paused.connector.paused_by
    resumed = connectors.resume(name)
    assert resumed.state == "UNASSIGNED" and resumed.connector.paused_by is None
    assert connectors.restart(name)
    assert connectors.status(name).connector.generation == 1
    assert not connectors.restart(name, only_failed=True)  # not failed: nothing to restart

    replaced = connectors.create(
        _definition(name, account, "/tmp/other"), placement="process", replace=True
    )
    assert replaced.connector.generation == 2 and "/tmp/other" in replaced.connector.definition

    connectors.delete(name)
    assert name not in connectors.names()
    with pytest.raises(UnknownConnector, match=f"Connector {name} not found"):
        connectors.status(name)


def test_a_taken_name_and_a_password_in_clear_are_refused(client: MeshClient, account: str) -> None:
    name = unique("conn-")
    connectors = client.connectors
    connectors.create(_definition(name, account), placement="process")

    with pytest.raises(ConnectorExists, match=f"Connector {name} already exists"):
        connectors.create(_definition(name, account), placement="process")
    leaky = (
        f"name: {name}-db\nkind: jdbc-poll\nprincipal: {account}\nconfig:\n"
        "  url: postgresql://u:hunter2-secret@db/orders\n"
        "  tables: {orders: sales.orders}\n  mode: bulk\n"
    )
    with pytest.raises(ConnectError, match=r"config\.url holds a password in clear") as caught:
        connectors.create(leaky, placement="process")
    assert "hunter2-secret" not in str(caught.value)
    assert f"{name}-db" not in connectors.names()
    connectors.delete(name)
