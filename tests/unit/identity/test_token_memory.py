"""A server's token store remembers verified tokens briefly; revocations and expiry still win."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from streammesh.identity import Principal, Role, TokenStore
from streammesh.identity import tables as identity_tables
from streammesh.store import MetadataStore, default_store_url, open_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[MetadataStore]:
    opened = open_store(default_store_url(tmp_path))
    yield opened
    opened.close()


def _revoke_as_another_process(store: MetadataStore, token_id: str) -> None:
    """What ``streammesh token revoke`` in another process leaves in the store."""
    tokens = identity_tables.tokens
    with store.write("identity-tokens") as connection:
        connection.execute(
            tokens.update().where(tokens.c.id == token_id).values(revoked_at=datetime.now(UTC))
        )


def test_a_verified_token_is_remembered_for_remember_s_seconds(store: MetadataStore) -> None:
    server = TokenStore(store, remember_s=0.5)
    issued = server.create("ci-bot", Role.MEMBER)
    assert server.remembered(issued.secret) is None  # not verified yet
    principal = server.verify(issued.secret)
    assert principal == Principal("ci-bot", Role.MEMBER, issued.token_id)
    assert server.remembered(issued.secret) == principal
    _revoke_as_another_process(store, issued.token_id)
    # Another process's revocation reaches this server within remember_s, not before ...
    assert server.verify(issued.secret) == principal
    assert TokenStore(store).verify(issued.secret) is None  # ... a store that does not remember
    time.sleep(0.6)
    assert server.remembered(issued.secret) is None
    assert server.verify(issued.secret) is None


def test_a_revocation_in_this_process_is_refused_at_once_by_every_token_store(
    store: MetadataStore,
) -> None:
    server = TokenStore(store, remember_s=60)
    api = TokenStore(store)  # e.g. the one a CLI command or the web UI revokes through
    issued = server.create("ci-bot", Role.MEMBER)
    other = server.create("other-bot", Role.MEMBER)
    assert server.verify(issued.secret) is not None
    assert server.verify(other.secret) is not None
    api.revoke(issued.token_id)
    assert server.remembered(issued.secret) is None
    assert server.verify(issued.secret) is None
    assert server.verify(other.secret) is not None  # read again from the store, still active


def test_a_remembered_token_is_refused_once_it_expires(store: MetadataStore) -> None:
    server = TokenStore(store, remember_s=60)
    expires_at = datetime.now(UTC) + timedelta(seconds=1)
    issued = server.create("ci-bot", Role.MEMBER, expires_at=expires_at)
    assert server.verify(issued.secret) is not None
    time.sleep(max((expires_at - datetime.now(UTC)).total_seconds(), 0) + 0.1)
    assert server.remembered(issued.secret) is None
    assert server.verify(issued.secret) is None


def test_refused_tokens_are_not_remembered(store: MetadataStore) -> None:
    server = TokenStore(store, remember_s=60)
    issued = server.create("ci-bot", Role.MEMBER)
    assert server.verify(issued.secret + "x") is None
    assert server.remembered(issued.secret + "x") is None
    assert server.remembered("not-a-token") is None
