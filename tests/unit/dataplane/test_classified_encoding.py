"""The classified produce and read paths that skip work per event (the Avro check of the
event with its placeholders, the key store's lookups) still write and read exactly what the
checked paths do, refuse what they refuse and stop using a key once it is destroyed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from streammesh.dataplane import ProductEncoder, protection_for
from streammesh.dataplane.errors import InvalidEvent
from streammesh.privacy import EVENT_HEADER, MASK_TEXT, FieldProtection, KeyStore, LocalKms
from streammesh.products.descriptor import Classification
from streammesh.schemas import InvalidEvent as SchemaInvalidEvent
from streammesh.sdk import Mesh
from streammesh.sdk.local import InProcessMesh
from streammesh.serde import RegistryResolver, Serializer
from streammesh.store import open_store
from tests.unit.cli.invoking import invoke_cli

PRODUCT = "customers.profiles.v1"


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


@pytest.fixture
def keys(tmp_path: Path) -> Iterator[KeyStore]:
    with open_store(f"sqlite:///{tmp_path / 'meta.db'}") as store:
        yield KeyStore(store, LocalKms.for_mesh(tmp_path))


def _order(number: int, **fields: Any) -> dict[str, Any]:
    return {
        "orders_id": f"o-{number}",
        "customer_email": f"c{number}@example.com",
        "status": "shipped",
        "updated_at": dt.datetime(2026, 12, 7, tzinfo=dt.UTC),
        **fields,
    }


def _text_email(event: Mapping[str, Any]) -> None:
    if type(event["email"]) is not str:
        raise SchemaInvalidEvent("Profile", "email", "type", "is not text")


def _encoder(mesh: InProcessMesh) -> tuple[ProductEncoder, Serializer]:
    runtime = mesh.local
    record = mesh.product("sales.orders")
    resolver = RegistryResolver(runtime.registry)
    protection = protection_for(runtime.keys, runtime.policies, record)
    encoder = ProductEncoder(resolver, record.contract, protection=protection)
    return encoder, Serializer(resolver, record.contract.value_subject)


def test_every_classified_avro_record_holds_the_bytes_of_its_event_with_placeholders(
    mesh: InProcessMesh,
) -> None:
    encoder, serializer = _encoder(mesh)
    for number in range(5):  # the first events pick the placeholders, the next reuse them
        key, value, headers = encoder.encode_fields(_order(number))
        masked = _order(number, customer_email=MASK_TEXT, status=MASK_TEXT)
        assert value == serializer.serialize(masked)  # what the checked writer writes
        assert key == f"o-{number}".encode()
        assert list(headers) == [EVENT_HEADER]
        assert b"@example.com" not in value + headers[EVENT_HEADER]


def test_an_invalid_classified_event_is_refused_naming_its_field_after_the_first_ones(
    mesh: InProcessMesh,
) -> None:
    with mesh.producer("sales.orders") as producer:
        producer.send(_order(1))  # placeholders chosen: later events take the short path
        producer.send(_order(2))
        for bad, path in (
            (_order(3, customer_email=5), "customer_email"),
            (_order(4, status=None), "status"),
            (_order(5, orders_id=7), "orders_id"),
            (_order(6, extra="x"), "extra"),
        ):
            with pytest.raises(InvalidEvent) as refused:
                producer.send(bad)
            assert [problem.path for problem in refused.value.problems] == [path]
    with mesh.consumer("sales.orders", "reader") as consumer:
        events = consumer.take(10, timeout=5)
    assert sorted(event.value["customer_email"] for event in events if event.value) == [
        "c1@example.com",
        "c2@example.com",
    ]


def test_placeholders_picked_without_the_schemas_check_are_never_written_unchecked(
    keys: KeyStore,
) -> None:
    protection = FieldProtection(keys, PRODUCT, {"email": (Classification.PII,)})
    event = {"id": "u1", "email": "a@b.c"}
    protection.protect(event, b"u1")  # no check: the type's token, not known valid
    assert protection.protect_valid(event, b"u1") is None
    other = FieldProtection(keys, PRODUCT, {"email": (Classification.PII,)})
    for _ in range(2):  # the first picks the placeholder with the check, the second keeps it
        other.protect(event, b"u1", check=_text_email)
    protected = other.protect_valid(event, b"u1")
    assert protected is not None and protected[0] == {"id": "u1", "email": MASK_TEXT}


def test_a_key_kept_per_entity_is_dropped_once_it_is_destroyed_in_the_process(
    keys: KeyStore,
) -> None:
    generation = keys.generation
    key, until = keys.current_until(PRODUCT, b"u1")
    assert until > 0 and keys.current_until(PRODUCT, b"u1")[0] is key
    keys.destroy(PRODUCT, b"u1", actor="dpo")
    assert keys.generation != generation
    assert keys.current_until(PRODUCT, b"u1")[0].version == key.version + 1


def test_a_reader_that_opened_an_entity_before_forget_reads_it_masked_after(
    keys: KeyStore,
) -> None:
    protection = FieldProtection(keys, PRODUCT, {"email": (Classification.PII,)})
    protected, headers = protection.protect({"id": "u1", "email": "a@b.c"}, b"u1")
    record = tuple(headers.items())
    for _ in range(2):  # the second read finds the entity's key kept by the reader
        revealed = protection.reveal_record(dict(protected), record, b"u1", True, "app")
        assert revealed["email"] == "a@b.c"
    keys.destroy(PRODUCT, b"u1", actor="dpo")
    assert protection.reveal_record(dict(protected), record, b"u1", True, "app") == protected
