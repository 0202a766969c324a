"""Users and service accounts through the SDK's mesh client, in-process and remote alike."""

from __future__ import annotations

import pytest

from streammesh.identity import AccountExists, AccountKind, AccountNotFound, InvalidAccount
from streammesh.sdk import MeshClient
from tests.conformance.client.conftest import unique

PRINCIPAL_FIELDS = {"name", "kind", "team", "description", "created_at", "created_by"}


def test_a_created_service_account_and_user_are_listed(client: MeshClient) -> None:
    team, application, user = unique("team"), unique("app"), unique("user")
    client.register_team(team)
    created = client.accounts.create(
        application, AccountKind.SERVICE_ACCOUNT, team=team, description="Scores trades."
    )
    assert set(created) == PRINCIPAL_FIELDS
    assert (created["kind"], created["team"], created["description"]) == (
        "service-account",
        team,
        "Scores trades.",
    )
    client.accounts.create(user, AccountKind.USER)
    assert client.accounts.get(application) == created

    listed = {account["name"]: account for account in client.accounts.list()}
    assert listed[application] == created
    assert listed[user]["kind"] == "user" and listed[user]["team"] is None
    assert listed[team]["kind"] == "team"  # registered teams are principals too
    services = client.accounts.list(kind=AccountKind.SERVICE_ACCOUNT)
    assert application in {account["name"] for account in services}
    assert user not in {account["name"] for account in services}


def test_refusals_are_the_same_errors_and_write_nothing(client: MeshClient) -> None:
    team, name = unique("team"), unique("app")
    client.register_team(team)
    with pytest.raises(InvalidAccount, match="belongs to a team"):
        client.accounts.create(name, AccountKind.SERVICE_ACCOUNT)
    with pytest.raises(InvalidAccount, match=f"team '{team}x' is not registered"):
        client.accounts.create(name, AccountKind.SERVICE_ACCOUNT, team=f"{team}x")
    with pytest.raises(InvalidAccount, match="teams are registered"):
        client.accounts.create(name, AccountKind.TEAM)
    with pytest.raises(AccountNotFound, match=f"principal '{name}' not found"):
        client.accounts.get(name)

    client.accounts.create(name, AccountKind.SERVICE_ACCOUNT, team=team)
    with pytest.raises(AccountExists, match=f"'{name}' exists already"):
        client.accounts.create(name, AccountKind.USER)
    assert client.accounts.get(name)["kind"] == "service-account"
