"""``FieldProtection`` on its own: placeholders per schema, value types, paths, masking."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from streammesh.privacy import (
    MASK_TEXT,
    FieldProtection,
    KeyStore,
    LocalKms,
    NoPlaceholder,
    UndecryptableField,
    UnsupportedFieldPath,
    encrypted_fields,
)
from streammesh.privacy.envelope import EVENT_HEADER, sealed_fields
from streammesh.privacy.values import decode_value, encode_value
from streammesh.products.descriptor import Classification
from streammesh.schemas.base import SchemaType
from streammesh.schemas.formats import format_for
from streammesh.store import open_store

PII = (Classification.PII,)


@pytest.fixture
def keys(tmp_path: Path) -> Iterator[KeyStore]:
    with open_store(f"sqlite:///{tmp_path / 'meta.db'}") as store:
        yield KeyStore(store, LocalKms.for_mesh(tmp_path))


def _json_check(schema: dict[str, Any]) -> Any:
    json_format = format_for(SchemaType.JSON)
    parsed = json_format.parse(json.dumps(schema))
    return lambda event: json_format.validate(parsed, event)


def test_placeholders_are_the_first_value_the_schema_accepts(keys: KeyStore) -> None:
    check = _json_check(
        {
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "email": {"type": "string"},
                "phone": {"type": ["string", "null"]},
                "code": {"type": "string", "minLength": 4},
                "age": {"type": "integer", "minimum": 0},
                "address": {
                    "type": "object",
                    "properties": {"street": {"type": "string"}},
                },
            },
            "required": ["id", "email"],
        }
    )
    protection = FieldProtection(
        keys,
        "customers.profiles.v1",
        {"email": PII, "phone": PII, "code": PII, "age": PII, "address.street": PII},
    )
    event = {
        "id": "u1",
        "email": "a@example.com",
        "phone": "+41 79",
        "code": "ABCDE",
        "age": 42,
        "address": {"street": "Main St 1"},
    }
    with pytest.raises(NoPlaceholder, match=r"'code'.*make the field nullable"):
        protection.protect(event, b"u1", check=check)

    protection = FieldProtection(
        keys,
        "customers.profiles.v1",
        {"email": PII, "phone": PII, "age": PII, "address.street": PII},
    )
    protected, headers = protection.protect(event, b"u1", check=check)
    assert protected == {
        "id": "u1",
        "email": MASK_TEXT,
        "phone": None,
        "code": "ABCDE",
        "age": 0,
        "address": {"street": MASK_TEXT},
    }
    assert event["email"] == "a@example.com"  # the caller's event is left alone
    assert list(headers) == [EVENT_HEADER]
    assert sealed_fields(headers[EVENT_HEADER]) == ("address.street", "age", "email", "phone")
    check(protected)
    revealed = protection.reveal(protected, headers, b"u1", clear=True, principal="app")
    assert revealed == event
    assert protection.reveal(protected, headers, b"u1", clear=False, principal="app") == protected


def test_values_keep_their_type_through_encryption() -> None:
    values: list[object] = [
        "text",
        7,
        2.5,
        True,
        None,
        b"\x00\xff",
        Decimal("12.30"),
        dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        dt.date(2026, 1, 2),
        dt.time(3, 4),
        uuid.UUID(int=5),
        [1, {"nested": b"x", "$": "not a tag"}],
    ]
    for value in values:
        back = decode_value(encode_value(value))
        assert back == value and type(back) is type(value)


def test_a_field_written_in_clear_is_masked_for_consumers_without_the_grant(
    keys: KeyStore,
) -> None:
    protection = FieldProtection(keys, "customers.profiles.v1", {"email": PII})
    written_plain = {"id": "u1", "email": "a@example.com"}
    masked = protection.reveal(written_plain, {}, b"u1", clear=False, principal="app")
    assert masked == {"id": "u1", "email": MASK_TEXT}
    assert protection.reveal(written_plain, {}, b"u1", clear=True, principal="app") == (
        written_plain
    )


def test_every_classified_field_is_encrypted_by_default(keys: KeyStore) -> None:
    classified = {
        "email": PII,
        "iban": (Classification.FINANCIAL, Classification.CONFIDENTIAL),
        "notes": (Classification.CONFIDENTIAL,),
        "diagnosis": (Classification.HEALTH,),
        "verdict": (Classification.RESTRICTED,),
    }
    assert encrypted_fields(classified) == set(classified)
    protection = FieldProtection(keys, "customers.profiles.v1", classified)
    event = {"email": "a", "iban": "CH00", "notes": "n", "diagnosis": "flu", "verdict": "v"}
    protected, headers = protection.protect(event, b"u1")
    assert sealed_fields(headers[EVENT_HEADER]) == tuple(sorted(classified))
    assert set(protected.values()) == {MASK_TEXT}
    chosen = FieldProtection(keys, "customers.profiles.v1", classified, encrypted={"notes"})
    protected, headers = chosen.protect(event, b"u1")
    assert protected == {**event, "notes": MASK_TEXT}


def test_a_ciphertext_of_one_product_version_does_not_open_in_another(keys: KeyStore) -> None:
    v1 = FieldProtection(keys, "customers.profiles.v1", {"email": PII})
    v2 = FieldProtection(keys, "customers.profiles.v2", {"email": PII})
    protected, headers = v1.protect({"email": "a@example.com"}, b"u1")
    with pytest.raises(UndecryptableField, match="does not authenticate"):
        v2.reveal(protected, headers, b"u1", clear=True, principal="app")
    # Both versions share the entity's key: forgetting it shreds both.
    assert keys.destroy("customers.profiles.v2", b"u1", actor="dpo") == 1
    assert v1.reveal(protected, headers, b"u1", clear=True, principal="app") == protected


def test_fields_inside_arrays_are_refused_rather_than_left_in_clear(keys: KeyStore) -> None:
    with pytest.raises(UnsupportedFieldPath, match=r"'legs\[\]\.account'"):
        FieldProtection(keys, "execution.trades.v1", {"legs[].account": PII})
