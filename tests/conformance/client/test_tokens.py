"""API tokens through the SDK's mesh client, in-process and remote alike (the in-process
client manages every token as the mesh's operator; the remote one as the platform admin)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from streammesh.identity import InvalidTokenRequest, Role, TokenNotFound
from streammesh.sdk import MeshClient
from tests.conformance.client.conftest import unique

TOKEN_FIELDS = {
    "id", "principal", "role", "description", "created_at", "expires_at", "revoked_at", "active"
}  # fmt: skip


def test_a_created_token_is_listed_without_its_secret_and_revoked(client: MeshClient) -> None:
    principal = unique("ci")
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    issued = client.tokens.create(principal, Role.MEMBER, expires_at=until, description="domain CI")
    assert set(issued) == TOKEN_FIELDS | {"secret"}
    assert issued["secret"].startswith("sm_")
    assert (issued["principal"], issued["role"], issued["active"]) == (principal, "member", True)
    assert datetime.fromisoformat(issued["expires_at"]) == until

    listed = {token["id"]: token for token in client.tokens.list()}
    assert set(listed[issued["id"]]) == TOKEN_FIELDS
    assert listed[issued["id"]]["description"] == "domain CI"
    assert issued["secret"] not in repr(listed)

    revoked = client.tokens.revoke(issued["id"])
    assert revoked["revoked_at"] is not None and revoked["active"] is False
    again = client.tokens.revoke(issued["id"])  # revoking twice changes nothing
    assert again["revoked_at"] == revoked["revoked_at"]
    listed = {token["id"]: token for token in client.tokens.list()}
    assert listed[issued["id"]]["active"] is False


def test_refusals_are_the_same_errors_and_write_nothing(client: MeshClient) -> None:
    before = len(client.tokens.list())
    with pytest.raises(TokenNotFound, match="'0123456789abcdef' not found") as missing:
        client.tokens.revoke("0123456789abcdef")
    assert missing.value.token_id == "0123456789abcdef"
    with pytest.raises(InvalidTokenRequest):
        client.tokens.create(
            unique("late"), Role.MEMBER, expires_at=datetime.now(UTC) - timedelta(hours=1)
        )
    with pytest.raises(InvalidTokenRequest):
        client.tokens.create("", Role.CONSUMER)
    assert len(client.tokens.list()) == before
