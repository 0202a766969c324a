"""An entity whose classified values do not change between events: its producer writes the
header it wrote before instead of sealing the same values again, and its readers open such a
header once — without giving up what the contract promises (per entity keys, forgetting,
authentication)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from streammesh.privacy import (
    EVENT_HEADER,
    FieldProtection,
    KeyStore,
    LocalKms,
    UndecryptableField,
)
from streammesh.privacy.envelope import event_key_version
from streammesh.products.descriptor import Classification
from streammesh.store import open_store

PRODUCT = "customers.profiles.v1"
CLASSIFIED = {"email": (Classification.PII,), "iban": (Classification.FINANCIAL,)}


@pytest.fixture
def keys(tmp_path: Path) -> Iterator[KeyStore]:
    with open_store(f"sqlite:///{tmp_path / 'meta.db'}") as store:
        yield KeyStore(store, LocalKms.for_mesh(tmp_path))


def _event(user: str, email: str) -> dict[str, Any]:
    return {"id": user, "email": email, "iban": "DE89370400440532013000", "plan": "gold"}


def _header(protection: FieldProtection, user: str, email: str) -> bytes:
    return protection.protect(_event(user, email), user.encode())[1][EVENT_HEADER]


def test_unchanged_values_of_an_entity_get_the_same_header_and_nothing_else_does(
    keys: KeyStore,
) -> None:
    protection = FieldProtection(keys, PRODUCT, CLASSIFIED)

    first = _header(protection, "u1", "a@x.y")
    again = _header(protection, "u1", "a@x.y")
    changed = _header(protection, "u1", "b@x.y")
    back = _header(protection, "u1", "a@x.y")
    other_entity = _header(protection, "u2", "a@x.y")

    assert again == first
    assert changed != first
    assert back not in (first, changed)  # only the last values' header is kept
    assert other_entity != first  # another entity, another key
    assert b"a@x.y" not in first and b"DE89" not in first


def test_a_repeated_header_reads_back_as_each_event_with_its_own_values(keys: KeyStore) -> None:
    protection = FieldProtection(keys, PRODUCT, CLASSIFIED)
    written = [protection.protect(_event("u1", "a@x.y"), b"u1") for _ in range(3)]
    assert len({headers[EVENT_HEADER] for _, headers in written}) == 1

    reveal = protection.record_revealer(clear=True, principal="app")
    read = [reveal(dict(event), tuple(headers.items()), b"u1") for event, headers in written]

    assert read == [_event("u1", "a@x.y")] * 3
    read[0]["email"] = "changed by the application"
    assert read[1]["email"] == "a@x.y"  # events share no mutable value
    protection.protect(_event("u2", "a@x.y"), b"u2")  # u2 has a key of version 1 too
    with pytest.raises(UndecryptableField, match="does not authenticate"):
        reveal(dict(written[0][0]), tuple(written[0][1].items()), b"u2")  # moved to u2


def test_after_forgetting_the_same_values_get_a_new_key_and_the_old_header_stays_masked(
    keys: KeyStore,
) -> None:
    protection = FieldProtection(keys, PRODUCT, CLASSIFIED)
    reveal = protection.record_revealer(clear=True, principal="app")
    event, headers = protection.protect(_event("u1", "a@x.y"), b"u1")
    assert reveal(dict(event), tuple(headers.items()), b"u1")["email"] == "a@x.y"

    assert keys.destroy(PRODUCT, b"u1", actor="dpo") == 1
    _, rewritten = protection.protect(_event("u1", "a@x.y"), b"u1")

    assert rewritten[EVENT_HEADER] != headers[EVENT_HEADER]
    assert event_key_version(rewritten[EVENT_HEADER]) == 2
    masked = reveal(dict(event), tuple(headers.items()), b"u1")
    assert masked["email"] != "a@x.y" and masked["iban"] != "DE89370400440532013000"
