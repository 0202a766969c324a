"""Creating and revoking tokens is audited (never the secret), and web UI sessions live in the
store: signing out, expiry and revoking the token each end them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from streammesh.audit import AuditAction, AuditLog
from streammesh.identity import InvalidTokenRequest, Role, SessionStore, TokenNotFound, TokenStore
from streammesh.store import MetadataStore, default_store_url, open_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[MetadataStore]:
    opened = open_store(default_store_url(tmp_path))
    yield opened
    opened.close()


def _token_entries(store: MetadataStore) -> list[dict[str, object]]:
    actions = (AuditAction.TOKEN_CREATED, AuditAction.TOKEN_REVOKED)
    return [record.document() for record in AuditLog(store).entries(actions=actions)]


def test_creating_and_revoking_a_token_is_audited_without_its_secret(
    store: MetadataStore,
) -> None:
    tokens = TokenStore(store)
    issued = tokens.create("ci-bot", Role.MEMBER, description="domain CI", actor="alice")
    revoked = tokens.revoke(issued.token_id, actor="bob")
    tokens.revoke(issued.token_id, actor="carol")  # already revoked: nothing new recorded

    entries = _token_entries(store)
    assert [(e["type"], e["actor"]) for e in entries] == [
        ("token.created", "alice"),
        ("token.revoked", "bob"),
    ]
    created, revoke = entries
    assert created["subject"] == revoke["subject"] == f"token:{issued.token_id}"
    after = created["after"]
    assert isinstance(after, dict)
    assert (after["principal"], after["role"]) == ("ci-bot", "member")
    revoked_after = revoke["after"]
    assert isinstance(revoked_after, dict)
    assert revoked_after["revoked_at"] == revoked.revoked_at.isoformat()  # type: ignore[union-attr]
    assert issued.secret not in json.dumps(entries)
    assert issued.secret[3:20] not in json.dumps(entries)


def test_the_first_admin_token_is_audited_as_made_by_the_platform(store: MetadataStore) -> None:
    issued = TokenStore(store).ensure_admin()
    assert issued is not None
    [entry] = _token_entries(store)
    assert (entry["type"], entry["actor"], entry["subject"]) == (
        "token.created",
        "streammesh",
        f"token:{issued.token_id}",
    )


def test_revoking_an_unknown_token_records_nothing(store: MetadataStore) -> None:
    with pytest.raises(TokenNotFound, match="'0123456789abcdef'"):
        TokenStore(store).revoke("0123456789abcdef", actor="alice")
    assert _token_entries(store) == []


def test_a_session_speaks_for_its_token_until_it_is_ended(store: MetadataStore) -> None:
    tokens = TokenStore(store)
    issued = tokens.create("ada", Role.MEMBER)
    sessions = SessionStore(store)
    session_id = sessions.start(issued.token_id)
    principal = sessions.principal(session_id)
    assert principal is not None and (principal.name, principal.role) == ("ada", Role.MEMBER)
    assert sessions.end(session_id) is True
    assert sessions.principal(session_id) is None
    assert sessions.end(session_id) is False
    # The token itself stays valid for the API.
    assert tokens.verify(issued.secret) is not None


def test_sessions_are_shared_by_every_store_client(store: MetadataStore, tmp_path: Path) -> None:
    issued = TokenStore(store).create("ada", Role.MEMBER)
    session_id = SessionStore(store).start(issued.token_id)
    with open_store(default_store_url(tmp_path)) as replica:  # another server on the same store
        assert SessionStore(replica).principal(session_id) is not None
        SessionStore(replica).end(session_id)
    assert SessionStore(store).principal(session_id) is None


def test_a_session_expires(store: MetadataStore) -> None:
    issued = TokenStore(store).create("ada", Role.MEMBER)
    now = datetime.now(UTC)
    started = SessionStore(store, clock=lambda: now).start(issued.token_id)
    later = SessionStore(store, clock=lambda: now + timedelta(hours=12, seconds=1))
    assert SessionStore(store, clock=lambda: now).principal(started) is not None
    assert later.principal(started) is None


def test_revoking_the_token_ends_its_sessions(store: MetadataStore) -> None:
    tokens = TokenStore(store)
    issued = tokens.create("ada", Role.MEMBER)
    other = tokens.create("bob", Role.MEMBER)
    sessions = SessionStore(store)
    ada, bob = sessions.start(issued.token_id), sessions.start(other.token_id)
    tokens.revoke(issued.token_id)
    assert sessions.principal(ada) is None
    assert sessions.principal(bob) is not None
    assert sessions.end(ada) is False  # its row went with the revocation


def test_an_expiry_beyond_the_last_utc_moment_is_refused(store: MetadataStore) -> None:
    far = datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-23)))
    with pytest.raises(InvalidTokenRequest, match="beyond the year 9999"):
        TokenStore(store).create("ci-bot", Role.MEMBER, expires_at=far)
    assert TokenStore(store).list() == []
