"""API tokens: issued once, stored hashed, verified, expired, revoked, listed."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from streammesh.identity import (
    InvalidTokenRequest,
    Principal,
    Role,
    TokenNotFound,
    TokenStore,
)
from streammesh.store import MetadataStore, default_store_url, open_store


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MetadataStore]:
    url = (
        default_store_url(tmp_path)
        if request.param == "sqlite"
        else request.getfixturevalue("migrated_postgres_url")
    )
    opened = open_store(url)
    yield opened
    opened.close()


@pytest.fixture
def tokens(store: MetadataStore) -> TokenStore:
    return TokenStore(store)


def test_created_token_verifies_to_its_principal(tokens: TokenStore) -> None:
    issued = tokens.create("ci-bot", Role.MEMBER, description="domain CI")
    assert issued.secret.startswith("sm_")
    assert len(issued.secret) > 40
    assert tokens.verify(issued.secret) == Principal("ci-bot", Role.MEMBER, issued.token_id)


def test_only_a_hash_of_the_secret_is_stored(tokens: TokenStore, store: MetadataStore) -> None:
    issued = tokens.create("ci-bot", Role.MEMBER)
    with store.read() as connection:
        stored = [
            str(value)
            for row in connection.execute(sa.text("SELECT * FROM identity_tokens"))
            for value in row
        ]
    assert not any(issued.secret in value for value in stored)
    assert hashlib.sha256(issued.secret.encode()).hexdigest() in stored


@pytest.mark.parametrize("secret", ["", "sm_", "sm_nope", "Bearer x", "not-a-token"])
def test_unknown_secrets_verify_to_none(tokens: TokenStore, secret: str) -> None:
    tokens.create("ci-bot", Role.MEMBER)
    assert tokens.verify(secret) is None


def test_a_near_miss_secret_does_not_verify(tokens: TokenStore) -> None:
    issued = tokens.create("ci-bot", Role.MEMBER)
    assert tokens.verify(issued.secret[:-1]) is None
    assert tokens.verify(issued.secret + "x") is None


def test_revoked_token_stops_verifying(tokens: TokenStore) -> None:
    issued = tokens.create("ci-bot", Role.MEMBER)
    kept = tokens.create("other", Role.CONSUMER)
    tokens.revoke(issued.token_id)
    assert tokens.verify(issued.secret) is None
    assert tokens.verify(kept.secret) is not None
    tokens.revoke(issued.token_id)  # revoking again is harmless
    with pytest.raises(TokenNotFound, match="'nope'"):
        tokens.revoke("nope")


def test_expired_token_stops_verifying(tokens: TokenStore, store: MetadataStore) -> None:
    issued = tokens.create("ci-bot", Role.MEMBER, expires_at=datetime.now(UTC) + timedelta(hours=1))
    assert tokens.verify(issued.secret) is not None
    with store.write("test") as connection:
        connection.execute(
            sa.text("UPDATE identity_tokens SET expires_at = :past"),
            {"past": datetime.now(UTC) - timedelta(seconds=1)},
        )
    assert tokens.verify(issued.secret) is None
    (info,) = tokens.list()
    assert not info.active()


@pytest.mark.parametrize(
    ("principal", "expires_at", "message"),
    [
        ("  ", None, "principal name is empty"),
        ("bot", datetime(2020, 1, 1, tzinfo=UTC), "is in the past"),
        ("bot", datetime(2999, 1, 1), "no time zone"),
    ],
)
def test_bad_token_requests_are_refused_and_store_nothing(
    tokens: TokenStore, principal: str, expires_at: datetime | None, message: str
) -> None:
    with pytest.raises(InvalidTokenRequest, match=message):
        tokens.create(principal, Role.MEMBER, expires_at=expires_at)
    assert tokens.list() == []


def test_unknown_role_is_refused(tokens: TokenStore) -> None:
    with pytest.raises(InvalidTokenRequest, match="platform-admin, governance"):
        tokens.create("bot", "superuser")  # type: ignore[arg-type]


def test_list_shows_everything_but_secrets(tokens: TokenStore) -> None:
    first = tokens.create("alice", Role.DOMAIN_OWNER, description="execution owner")
    expiry = datetime.now(UTC) + timedelta(days=30)
    second = tokens.create("bob", Role.CONSUMER, expires_at=expiry)
    tokens.revoke(first.token_id)
    listed = {info.token_id: info for info in tokens.list()}
    assert set(listed) == {first.token_id, second.token_id}
    alice = listed[first.token_id]
    assert (alice.principal, alice.role, alice.description) == (
        "alice",
        Role.DOMAIN_OWNER,
        "execution owner",
    )
    assert alice.revoked_at is not None
    assert not alice.active()
    bob = listed[second.token_id]
    assert bob.expires_at is not None
    assert abs(bob.expires_at - expiry) < timedelta(seconds=1)
    assert bob.active()


def test_ensure_admin_creates_the_first_admin_once(tokens: TokenStore) -> None:
    admin = tokens.ensure_admin()
    assert admin is not None
    assert admin.role is Role.PLATFORM_ADMIN
    principal = tokens.verify(admin.secret)
    assert principal is not None
    assert principal.role is Role.PLATFORM_ADMIN
    assert tokens.ensure_admin() is None
    assert len(tokens.list()) == 1


def test_ensure_admin_does_nothing_on_a_store_with_tokens(tokens: TokenStore) -> None:
    tokens.create("alice", Role.MEMBER)
    assert tokens.ensure_admin() is None


def test_roles_have_their_wire_names() -> None:
    assert [role.value for role in Role] == [
        "platform-admin",
        "governance",
        "domain-owner",
        "member",
        "consumer",
    ]
