"""Keys: taken from the key field and encoded as Kafka's Java serializers encode them."""

from __future__ import annotations

import struct
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streammesh.dataplane import InvalidKey, KeyCodec
from streammesh.products.descriptor import KeyType


def test_string_keys_are_utf8_like_kafkas_string_serializer() -> None:
    codec = KeyCodec("account", KeyType.STRING)
    assert codec.key_of({"account": "kønto-1"}) == "kønto-1".encode()
    assert codec.decode("kønto-1".encode()) == "kønto-1"


def test_uuid_keys_are_the_canonical_lowercase_text_whatever_form_the_event_holds() -> None:
    codec = KeyCodec("order_id", KeyType.UUID)
    value = uuid.UUID("6F1C2A8E-0B4D-4E59-9A53-1D2C3B4A5F60")
    canonical = b"6f1c2a8e-0b4d-4e59-9a53-1d2c3b4a5f60"
    assert codec.key_of({"order_id": value}) == canonical
    assert codec.key_of({"order_id": "6F1C2A8E-0B4D-4E59-9A53-1D2C3B4A5F60"}) == canonical
    assert codec.key_of({"order_id": "{6f1c2a8e0b4d4e599a531d2c3b4a5f60}"}) == canonical
    assert codec.decode(canonical) == value


def test_int_and_long_keys_are_big_endian_signed_like_integer_and_long_serializers() -> None:
    int_codec = KeyCodec("venue", KeyType.INT)
    long_codec = KeyCodec("account.id", KeyType.LONG)
    assert int_codec.key_of({"venue": 1}) == b"\x00\x00\x00\x01"
    assert int_codec.key_of({"venue": -1}) == b"\xff\xff\xff\xff"
    assert long_codec.key_of({"account": {"id": 258}}) == b"\x00" * 6 + b"\x01\x02"
    assert long_codec.key_of({"account": {"id": -(2**63)}}) == b"\x80" + b"\x00" * 7
    assert int_codec.decode(b"\xff\xff\xff\xfe") == -2
    assert long_codec.decode(struct.pack(">q", 2**40)) == 2**40


def test_bytes_keys_are_taken_as_they_are_and_text_as_utf8() -> None:
    codec = KeyCodec("raw", KeyType.BYTES)
    assert codec.key_of({"raw": b"\x00\xff"}) == b"\x00\xff"
    assert codec.key_of({"raw": bytearray(b"ab")}) == b"ab"
    assert codec.key_of({"raw": "ab"}) == b"ab"
    assert codec.decode(b"\x00\xff") == b"\x00\xff"


@pytest.mark.parametrize(
    ("key_type", "event", "rule", "words"),
    [
        (KeyType.STRING, {}, "key.missing", "(no 'account' in the event)"),
        (KeyType.STRING, {"account": "flat"}, "key.missing", "(no 'account.id' in the event)"),
        (KeyType.STRING, {"account": {"id": None}}, "key.null", "is null"),
        (KeyType.STRING, {"account": {"id": 5}}, "key.type", "needs a str"),
        (KeyType.INT, {"account": {"id": 2**31}}, "key.range", "outside the range"),
        (KeyType.INT, {"account": {"id": True}}, "key.type", "needs an int"),
        (KeyType.LONG, {"account": {"id": 2**63}}, "key.range", "outside the range"),
        (KeyType.LONG, {"account": {"id": 1.0}}, "key.type", "needs an int"),
        (KeyType.UUID, {"account": {"id": "not-a-uuid"}}, "key.format", "which is not a UUID"),
        (KeyType.BYTES, {"account": {"id": 7}}, "key.type", "needs bytes"),
    ],
)
def test_a_key_that_does_not_fit_names_the_field_and_the_rule(
    key_type: KeyType, event: dict[str, object], rule: str, words: str
) -> None:
    with pytest.raises(InvalidKey) as raised:
        KeyCodec("account.id", key_type).key_of(event)
    assert raised.value.path == "account.id"
    assert raised.value.rule == rule
    assert words in str(raised.value)
    assert "'account.id'" in str(raised.value)


@pytest.mark.parametrize(
    ("key_type", "data", "words"),
    [
        (KeyType.INT, b"\x00\x01", "is 2 bytes long; a 'int' key is 4"),
        (KeyType.LONG, b"\x00\x00\x00\x01", "is 4 bytes long; a 'long' key is 8"),
        (KeyType.STRING, b"\xff\xfe", "is not UTF-8"),
        (KeyType.UUID, b"acct-1", "which is not a UUID"),
    ],
)
def test_key_bytes_of_another_type_are_refused_on_decode(
    key_type: KeyType, data: bytes, words: str
) -> None:
    with pytest.raises(InvalidKey, match=words) as raised:
        KeyCodec("id", key_type).decode(data)
    assert raised.value.rule == "key.format"


@given(st.integers(-(2**31), 2**31 - 1))
def test_int_keys_round_trip(value: int) -> None:
    codec = KeyCodec("id", KeyType.INT)
    data = codec.encode(value)
    assert data == struct.pack(">i", value)
    assert codec.decode(data) == value


@given(st.integers(-(2**63), 2**63 - 1))
def test_long_keys_round_trip(value: int) -> None:
    codec = KeyCodec("id", KeyType.LONG)
    data = codec.encode(value)
    assert data == struct.pack(">q", value)
    assert codec.decode(data) == value


@given(st.text())
def test_string_keys_round_trip(value: str) -> None:
    codec = KeyCodec("id", KeyType.STRING)
    assert codec.decode(codec.encode(value)) == value


@given(st.uuids())
def test_uuid_keys_round_trip(value: uuid.UUID) -> None:
    codec = KeyCodec("id", KeyType.UUID)
    assert codec.decode(codec.encode(value)) == value
