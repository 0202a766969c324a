"""The per-entity caches and batches of field encryption keep what the contract promises:
handouts are audited before the reader gets what they opened, nonces never repeat, the
caller's event is never changed."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from streammesh.audit import AuditAction, AuditLog
from streammesh.privacy import EVENT_HEADER, FieldProtection, KeyStore, LocalKms
from streammesh.privacy.envelope import (
    SealBroken,
    cipher_for,
    field_prefix,
    open_with,
    seal_with,
    sealed_fields,
)
from streammesh.privacy.values import decode_value, encode_value
from streammesh.products.descriptor import Classification
from streammesh.store import MetadataStore, open_store

PRODUCT = "customers.profiles.v1"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[MetadataStore]:
    with open_store(f"sqlite:///{tmp_path / 'meta.db'}") as opened:
        yield opened


@pytest.fixture
def keys(store: MetadataStore, tmp_path: Path) -> KeyStore:
    return KeyStore(store, LocalKms.for_mesh(tmp_path))


def _handouts(store: MetadataStore) -> list[tuple[str, str]]:
    entries = AuditLog(store).entries(actions=[AuditAction.KEY_HANDED_OUT])
    return sorted((entry.actor, str(dict(entry.after or {})["entity_key"])) for entry in entries)


def test_handouts_of_a_batch_are_audited_once_each_when_the_batch_ends(
    keys: KeyStore, store: MetadataStore
) -> None:
    protection = FieldProtection(
        keys,
        PRODUCT,
        {"email": (Classification.PII,), "iban": (Classification.FINANCIAL,)},
    )
    written = [
        protection.protect({"id": user, "email": f"{user}@x.y", "iban": "DE00"}, user.encode())
        for user in ("u1", "u2", "u1")
    ]
    with keys.handouts_together():
        revealed = [
            protection.reveal(event, headers, event["id"].encode(), clear=True, principal="app")
            for event, headers in written
        ]
        assert _handouts(store) == []  # written together, when the batch ends
    assert [event["email"] for event in revealed] == ["u1@x.y", "u2@x.y", "u1@x.y"]
    assert _handouts(store) == [("app", "u1"), ("app", "u2")]
    # Handed out already this hour: not audited again, inside a batch or not.
    with keys.handouts_together():
        protection.reveal(*written[1], b"u2", clear=True, principal="app")
    protection.reveal(*written[0], b"u1", clear=True, principal="app")
    assert _handouts(store) == [("app", "u1"), ("app", "u2")]


def test_handouts_of_a_batch_that_fails_are_still_audited(
    keys: KeyStore, store: MetadataStore
) -> None:
    protection = FieldProtection(keys, PRODUCT, {"email": (Classification.PII,)})
    event, headers = protection.protect({"id": "u1", "email": "a@b.c"}, b"u1")
    with pytest.raises(RuntimeError), keys.handouts_together():
        protection.reveal(event, headers, b"u1", clear=True, principal="app")
        raise RuntimeError("the reader failed after opening the field")
    assert _handouts(store) == [("app", "u1")]


def test_protecting_never_changes_the_callers_event(keys: KeyStore) -> None:
    protection = FieldProtection(
        keys, PRODUCT, {"contact.email": (Classification.PII,), "card": (Classification.PII,)}
    )
    event = {"id": "u1", "contact": {"email": "a@b.c", "phone": "1"}, "card": "4111"}
    protected, headers = protection.protect(event, b"u1")
    assert event == {"id": "u1", "contact": {"email": "a@b.c", "phone": "1"}, "card": "4111"}
    assert protected["contact"]["email"] != "a@b.c" and protected["card"] != "4111"
    assert set(headers) == {EVENT_HEADER}
    assert sealed_fields(headers[EVENT_HEADER]) == ("card", "contact.email")
    revealed = protection.reveal(protected, headers, b"u1", clear=True, principal="app")
    assert revealed == event
    assert protected["contact"]["email"] != "a@b.c"  # revealing copied it too


def test_a_field_sealed_with_a_reused_cipher_opens_only_for_its_binding() -> None:
    cipher = cipher_for(b"k" * 32)
    assert cipher_for(b"k" * 32) is cipher
    binding = field_prefix(PRODUCT, "email") + (1).to_bytes(4, "big") + b"u1"
    sealed = seal_with(cipher, 1, binding, b'"a@b.c"')
    assert open_with(cipher_for(b"k" * 32), binding, sealed) == b'"a@b.c"'
    other = field_prefix(PRODUCT, "email") + (1).to_bytes(4, "big") + b"u2"
    with pytest.raises(SealBroken):
        open_with(cipher, other, sealed)


def test_nonces_never_repeat_not_even_in_a_forked_child() -> None:
    cipher = cipher_for(b"n" * 32)

    def nonce() -> bytes:
        return seal_with(cipher, 1, b"ad", b"x")[5:17]

    seen = {nonce() for _ in range(5_000)}
    assert len(seen) == 5_000
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child: its next nonce, to the parent
        os.close(read)
        os.write(write, nonce())
        os._exit(0)
    os.close(write)
    from_child = os.read(read, 12)
    os.close(read)
    os.waitpid(child, 0)
    assert len(from_child) == 12
    assert from_child != nonce()  # the parent's next one: the pool was not shared


def test_nonces_never_repeat_across_threads_sharing_the_pool() -> None:
    cipher = cipher_for(b"t" * 32)
    drawn: list[list[bytes]] = [[] for _ in range(4)]

    def draw(into: list[bytes]) -> None:
        for _ in range(3_000):  # several pools' worth, refilled while others draw
            into.append(seal_with(cipher, 1, b"ad", b"x")[5:17])

    threads = [threading.Thread(target=draw, args=(into,)) for into in drawn]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [nonce for into in drawn for nonce in into]
    assert len(every) == 12_000 and len(set(every)) == 12_000


def test_text_values_round_trip_exactly_through_the_fast_codec() -> None:
    for value in ['a"b\\c\n\x01é€😀', "", "\ud800", "2**70", 2**70 + 1, float("inf")]:
        back = decode_value(encode_value(value))
        assert back == value and type(back) is type(value)


def test_a_destroyed_key_is_never_used_again_by_a_protection_that_used_it(
    keys: KeyStore,
) -> None:
    protection = FieldProtection(keys, PRODUCT, {"email": (Classification.PII,)})
    before = protection.protect({"id": "u1", "email": "old@x.y"}, b"u1")
    assert keys.destroy(PRODUCT, b"u1", actor="test") == 1
    after = protection.protect({"id": "u1", "email": "new@x.y"}, b"u1")
    header = EVENT_HEADER
    assert before[1][header][1:5] != after[1][header][1:5]  # a new key version
    read = [
        protection.reveal(*written, b"u1", clear=True, principal="app")
        for written in (before, after)
    ]
    assert read[0]["email"] != "old@x.y"  # forgotten: stays masked
    assert read[1]["email"] == "new@x.y"


def test_a_reader_reuses_a_pending_handout_only_inside_its_batch_and_never_after_forget(
    keys: KeyStore, store: MetadataStore
) -> None:
    protection = FieldProtection(keys, PRODUCT, {"email": (Classification.PII,)})
    event, headers = protection.protect({"id": "u1", "email": "a@x.y"}, b"u1")
    record = tuple(headers.items())
    reveal = protection.record_revealer(clear=True, principal="app")

    with keys.handouts_together():
        first = reveal(dict(event), record, b"u1")
        again = reveal(dict(event), record, b"u1")  # the batch's kept opening
        assert _handouts(store) == []  # pending until the batch ends
        assert keys.destroy(PRODUCT, b"u1", actor="dpo") == 1
        after_forget = reveal(dict(event), record, b"u1")
    outside = reveal(dict(event), record, b"u1")

    assert first["email"] == again["email"] == "a@x.y"
    assert after_forget["email"] != "a@x.y" and outside["email"] != "a@x.y"
    assert _handouts(store) == [("app", "u1")]
