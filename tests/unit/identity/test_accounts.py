"""Accounts: users and service accounts (of a registered team), listed with the teams; and
the roles a principal holds through its tokens."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from streammesh.audit import AuditAction, AuditLog
from streammesh.control import tables as control_tables
from streammesh.identity import (
    AccountExists,
    AccountKind,
    AccountNotFound,
    AccountStore,
    InvalidAccount,
    Role,
    TokenStore,
)
from streammesh.store import MetadataStore, default_store_url, open_store

NOW = datetime(2027, 1, 4, 9, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MetadataStore]:
    url = (
        default_store_url(tmp_path)
        if request.param == "sqlite"
        else request.getfixturevalue("migrated_postgres_url")
    )
    opened = open_store(url)
    with opened.write("test") as connection:
        connection.execute(
            control_tables.teams.insert().values(
                name="risk-team", created_at=NOW, created_by="admin"
            )
        )
    yield opened
    opened.close()


@pytest.fixture
def accounts(store: MetadataStore) -> AccountStore:
    return AccountStore(store, clock=lambda: NOW)


def test_service_account_belongs_to_a_registered_team(
    accounts: AccountStore, store: MetadataStore
) -> None:
    created = accounts.create(
        "fraud-detector", AccountKind.SERVICE_ACCOUNT, team="risk-team", actor="admin"
    )
    assert accounts.get("fraud-detector") == created
    assert (created.kind, created.team, created.created_at) == (
        AccountKind.SERVICE_ACCOUNT,
        "risk-team",
        NOW,
    )
    entry = AuditLog(store).entries(actions=[AuditAction.ACCOUNT_CREATED])[0]
    assert (entry.subject, entry.actor) == ("principal:fraud-detector", "admin")


@pytest.mark.parametrize(
    ("name", "kind", "team", "reason"),
    [
        ("etl", AccountKind.SERVICE_ACCOUNT, None, "belongs to a team"),
        ("etl", AccountKind.SERVICE_ACCOUNT, "ghost-team", "'ghost-team' is not registered"),
        ("etl", AccountKind.TEAM, None, "streammesh teams create"),
        ("Bad Name!", AccountKind.USER, None, "Bad Name!"),
    ],
)
def test_invalid_accounts_are_refused(
    accounts: AccountStore, name: str, kind: AccountKind, team: str | None, reason: str
) -> None:
    with pytest.raises(InvalidAccount, match=reason):
        accounts.create(name, kind, team=team, actor="admin")
    assert all(account.kind is AccountKind.TEAM for account in accounts.list())


def test_names_are_unique_and_unknown_names_say_how_to_create_them(
    accounts: AccountStore,
) -> None:
    accounts.create("ada", AccountKind.USER, actor="admin")
    with pytest.raises(AccountExists):
        accounts.create("ada", AccountKind.SERVICE_ACCOUNT, team="risk-team", actor="admin")
    with pytest.raises(AccountNotFound, match="streammesh accounts create ghost"):
        accounts.get("ghost")


def test_list_includes_the_registered_teams(accounts: AccountStore) -> None:
    accounts.create("ada", AccountKind.USER, team="risk-team", actor="admin")
    listed = [(a.name, a.kind) for a in accounts.list()]
    assert listed == [("ada", AccountKind.USER), ("risk-team", AccountKind.TEAM)]
    assert [a.name for a in accounts.list(kind=AccountKind.TEAM)] == ["risk-team"]


def test_roles_of_counts_only_active_tokens(store: MetadataStore) -> None:
    tokens = TokenStore(store)
    assert tokens.roles_of("ada") == frozenset()
    tokens.create("ada", Role.MEMBER)
    admin = tokens.create("ada", Role.PLATFORM_ADMIN)
    tokens.create("ada", Role.GOVERNANCE, expires_at=datetime.now(UTC) + timedelta(seconds=60))
    assert tokens.roles_of("ada") == {Role.MEMBER, Role.PLATFORM_ADMIN, Role.GOVERNANCE}
    tokens.revoke(admin.token_id)
    assert Role.PLATFORM_ADMIN not in tokens.roles_of("ada")
