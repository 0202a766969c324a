"""Format 2 of sealed fields: one ``streammesh-enc-*`` header per event sealing every classified
field in one AES-GCM call, bound to product, field list and entity; records written before it
(one ``streammesh-enc-<field>`` header per field, format 1) are still read."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from streammesh.dataplane import ProductEncoder
from streammesh.log import Header
from streammesh.privacy import (
    EVENT_HEADER,
    MASK_TEXT,
    FieldProtection,
    KeyStore,
    LocalKms,
    UndecryptableField,
    fields_in_clear,
    header_name,
)
from streammesh.privacy.envelope import EntitySeal, field_prefix, sealed_fields
from streammesh.privacy.values import decode_fields, encode_fields, encode_value
from streammesh.products.descriptor import Classification
from streammesh.sdk import Mesh
from streammesh.sdk.local import InProcessMesh
from streammesh.serde import RegistryResolver
from streammesh.store import open_store
from tests.unit.cli.invoking import invoke_cli

PRODUCT = "customers.profiles.v1"
CLASSIFIED = {
    "email": (Classification.PII,),
    "iban": (Classification.FINANCIAL,),
    "born": (Classification.PII,),
    "address.street": (Classification.PII,),
}


@pytest.fixture
def keys(tmp_path: Path) -> Iterator[KeyStore]:
    with open_store(f"sqlite:///{tmp_path / 'meta.db'}") as store:
        yield KeyStore(store, LocalKms.for_mesh(tmp_path))


def _profile(user: str) -> dict[str, Any]:
    return {
        "id": user,
        "email": f"{user}@example.com",
        "iban": Decimal("12.30"),  # a tagged value beside text: still one header
        "born": dt.date(1990, 5, 17),
        "address": {"street": f"{user} street 1", "city": "Basel"},
        "plan": "gold",
    }


def _format_1(keys: KeyStore, event: dict[str, Any], entity: bytes) -> dict[str, bytes]:
    """The headers the producer wrote before format 2: one sealed header per field."""
    key = keys.current(PRODUCT, entity)
    seal = EntitySeal.of(key.material, key.version, entity)
    return {
        header_name("email"): seal.seal(
            field_prefix(PRODUCT, "email"), encode_value(event["email"])
        ),
        header_name("address.street"): seal.seal(
            field_prefix(PRODUCT, "address.street"), encode_value(event["address"]["street"])
        ),
    }


def test_every_classified_field_of_an_event_is_sealed_in_one_header_and_read_back(
    keys: KeyStore,
) -> None:
    protection = FieldProtection(keys, PRODUCT, CLASSIFIED)
    event = _profile("u1")
    protected, headers = protection.protect(event, b"u1")
    assert list(headers) == [EVENT_HEADER]
    sealed = headers[EVENT_HEADER]
    assert sealed[0] == 2  # the format
    assert sealed_fields(sealed) == ("address.street", "born", "email", "iban")
    assert b"u1@example.com" not in sealed and b"street" not in sealed.split(b"iban")[-1]
    assert protected["email"] == MASK_TEXT and protected["address"]["street"] == MASK_TEXT
    assert protected["plan"] == "gold" and protected["address"]["city"] == "Basel"
    revealed = protection.reveal(protected, headers, b"u1", clear=True, principal="app")
    assert revealed == event
    assert type(revealed["iban"]) is Decimal and type(revealed["born"]) is dt.date
    assert protection.reveal(protected, headers, b"u1", clear=False, principal="app") == (protected)
    assert fields_in_clear(protected, headers, CLASSIFIED) == ()
    # A field missing or null is left out of the header's list (and stays as it is).
    partial, headers = protection.protect({"id": "u1", "email": "a@b.c", "iban": None}, b"u1")
    assert sealed_fields(headers[EVENT_HEADER]) == ("email",)
    assert protection.reveal(partial, headers, b"u1", clear=True, principal="app") == {
        "id": "u1",
        "email": "a@b.c",
        "iban": None,
    }


def test_a_header_moved_to_another_entity_product_or_field_list_fails_authentication(
    keys: KeyStore,
) -> None:
    protection = FieldProtection(keys, PRODUCT, CLASSIFIED)
    keys.current(PRODUCT, b"u2")  # u2 has a key of the same version: only the binding differs
    protected, headers = protection.protect(_profile("u1"), b"u1")
    sealed = headers[EVENT_HEADER]

    def read(reader: FieldProtection, header: bytes, entity: bytes = b"u1") -> dict[str, Any]:
        return reader.reveal(protected, {EVENT_HEADER: header}, entity, clear=True, principal="app")

    with pytest.raises(UndecryptableField, match=r"entity key 'u2'.*does not authenticate"):
        read(protection, sealed, b"u2")
    other_version = FieldProtection(keys, "customers.profiles.v2", CLASSIFIED)
    with pytest.raises(UndecryptableField, match="does not authenticate"):
        read(other_version, sealed)
    # The field list in clear is bound too: renaming or dropping a field breaks the seal.
    renamed = sealed.replace(b"email", b"phone", 1)
    with pytest.raises(UndecryptableField, match=r"'streammesh-enc-\*' header"):
        read(protection, renamed)
    listed = sealed.index(b"address.street")
    size = int.from_bytes(sealed[listed - 2 : listed], "big")
    dropped = (
        sealed[: listed - 2]
        + (size - len(b"address.street\x00")).to_bytes(2, "big")
        + sealed[listed + len(b"address.street\x00") :]
    )
    assert sealed_fields(dropped) == ("born", "email", "iban")
    with pytest.raises(UndecryptableField, match="does not authenticate"):
        read(protection, dropped)
    flipped = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(UndecryptableField, match="does not authenticate"):
        read(protection, flipped)
    assert read(protection, sealed)["email"] == "u1@example.com"  # the original still reads


def test_records_of_both_formats_read_alike_and_forgetting_masks_both(keys: KeyStore) -> None:
    protection = FieldProtection(
        keys,
        PRODUCT,
        {"email": CLASSIFIED["email"], "address.street": CLASSIFIED["address.street"]},
    )
    event = {"id": "u1", "email": "old@example.com", "address": {"street": "Old Way 1"}}
    legacy_value = {"id": "u1", "email": MASK_TEXT, "address": {"street": MASK_TEXT}}
    legacy = _format_1(keys, event, b"u1")
    current = protection.protect({**event, "email": "new@example.com"}, b"u1")
    for value, headers, email in ((legacy_value, legacy, "old"), (*current, "new")):
        revealed = protection.reveal(value, headers, b"u1", clear=True, principal="app")
        assert revealed == {**event, "email": f"{email}@example.com"}
        masked = protection.reveal(value, headers, b"u1", clear=False, principal="app")
        assert masked == legacy_value
        assert fields_in_clear(value, headers, ["email", "address.street"]) == ()
    assert keys.destroy(PRODUCT, b"u1", actor="dpo") == 1
    for value, headers in ((legacy_value, legacy), current):
        # Forgotten: the placeholders stay, in clear or not, whatever the format.
        assert protection.reveal(value, headers, b"u1", clear=True, principal="app") == (
            legacy_value
        )


@pytest.fixture
def mesh(tmp_path: Path) -> Iterator[InProcessMesh]:
    result = invoke_cli("init", "sales", "--dir", str(tmp_path / "repo"))
    assert result.exit_code == 0, result.stderr
    descriptor = tmp_path / "repo" / "sales" / "orders.yaml"
    descriptor.write_text(
        descriptor.read_text().replace(
            "  customer_email: [pii]", "  customer_email: [pii]\n  status: [confidential]"
        ),
        encoding="utf-8",
    )
    with Mesh.open(tmp_path / "home", actor="owner") as opened:
        opened.apply([tmp_path / "repo" / "sales"])
        yield opened


def _order(number: int, email: str) -> dict[str, Any]:
    return {
        "orders_id": f"o-{number}",
        "customer_email": email,
        "status": "shipped",
        "updated_at": dt.datetime(2026, 12, 7, tzinfo=dt.UTC),
    }


def test_a_topic_holding_both_formats_is_read_by_consumers_and_forgotten_alike(
    mesh: InProcessMesh,
) -> None:
    record = mesh.product("sales.orders")
    runtime = mesh.local
    # Format 1 records, as producers wrote them before: the value with placeholders, one
    # header per classified field.
    encoder = ProductEncoder(RegistryResolver(runtime.registry), record.contract)
    with runtime.log.producer() as producer:
        for number in (1, 2):
            entity = f"o-{number}".encode()
            key = runtime.keys.current(record.reference, entity)
            seal = EntitySeal.of(key.material, key.version, entity)
            clear = _order(number, f"old{number}@example.com")
            legacy: tuple[Header, ...] = tuple(
                (
                    header_name(field),
                    seal.seal(field_prefix(record.reference, field), encode_value(clear[field])),
                )
                for field in ("customer_email", "status")
            )
            placeholders = {**clear, "customer_email": MASK_TEXT, "status": MASK_TEXT}
            entity_key, value, _ = encoder.encode_fields(placeholders)
            producer.send(record.topic, value, key=entity_key, headers=legacy)
    with mesh.producer("sales.orders") as producer:
        for number in (1, 2):
            producer.send(_order(number, f"new{number}@example.com"))

    def read(group: str) -> list[tuple[str, str, str]]:
        with mesh.consumer("sales.orders", group) as consumer:
            events = consumer.take(4, timeout=10)
        return sorted(
            (event.value["orders_id"], event.value["customer_email"], event.value["status"])
            for event in events
            if event.value is not None
        )

    assert read("both-formats") == [
        ("o-1", "new1@example.com", "shipped"),
        ("o-1", "old1@example.com", "shipped"),
        ("o-2", "new2@example.com", "shipped"),
        ("o-2", "old2@example.com", "shipped"),
    ]
    assert mesh.privacy.forget("sales.orders", "o-1")["versions"] == 1
    assert read("after-forget") == [
        ("o-1", MASK_TEXT, MASK_TEXT),
        ("o-1", MASK_TEXT, MASK_TEXT),
        ("o-2", "new2@example.com", "shipped"),
        ("o-2", "old2@example.com", "shipped"),
    ]


def test_a_consumers_per_record_reveal_refuses_what_reveal_refuses(keys: KeyStore) -> None:
    protection = FieldProtection(keys, PRODUCT, {"email": CLASSIFIED["email"]})
    protected, headers = protection.protect({"id": "u1", "email": "a@b.c"}, b"u1")
    record_headers = tuple(headers.items())
    assert protection.reveal_record(protected, record_headers, b"u1", True, "app") == {
        "id": "u1",
        "email": "a@b.c",
    }
    assert protection.reveal_record(protected, record_headers, b"u1", False, "app") == protected
    # A reader schema without the field: it is not added.
    assert protection.reveal_record({"id": "u1"}, record_headers, b"u1", True, "app") == {
        "id": "u1"
    }
    with pytest.raises(UndecryptableField, match="entity key 'u2'"):
        protection.reveal_record(protected, record_headers, b"u2", True, "app")
    sealed = headers[EVENT_HEADER]
    flipped = ((EVENT_HEADER, sealed[:-1] + bytes([sealed[-1] ^ 1])),)
    with pytest.raises(UndecryptableField, match="does not authenticate"):
        protection.reveal_record(protected, flipped, b"u1", True, "app")
    keys.destroy(PRODUCT, b"u1", actor="dpo")
    assert protection.reveal_record(protected, record_headers, b"u1", True, "app") == protected


def test_the_fields_codec_keeps_every_value_and_type_exactly() -> None:
    values: dict[str, object] = {
        "text": 'a"b\\c\n\x01é€😀',
        "lone": "\ud800",  # not UTF-8: orjson refuses it, the tagged JSON keeps it
        "big": 2**70 + 1,  # beyond 64 bits: orjson would read it back as a float
        "small": -(2**63),
        "flag": True,
        "ratio": 2.5,
        "inf": float("inf"),
        "money": Decimal("12.30"),
        "raw": b"\x00\xff",
        "day": dt.date(2026, 1, 2),
        "nested": [1, {"$": "not a tag", "at": dt.time(3, 4)}],
    }
    for chosen in (values, {"text": "plain", "flag": False, "small": 7}):
        back = decode_fields(encode_fields(chosen))
        assert back == chosen
        assert [type(value) for value in back.values()] == [type(v) for v in chosen.values()]
    nan = decode_fields(encode_fields({"nan": float("nan")}))["nan"]
    assert isinstance(nan, float) and math.isnan(nan)  # never null
