"""The Confluent wire-format header, checked against confluent-kafka's own codec."""

from __future__ import annotations

import io

import pytest
from confluent_kafka.schema_registry.common.serde import SchemaId
from hypothesis import given
from hypothesis import strategies as st

from streammesh.serde.errors import WireFormatError
from streammesh.serde.wire import (
    HEADER_SIZE,
    decode_message_indexes,
    decode_schema_id,
    encode_header,
    encode_message_indexes,
)

schema_ids = st.integers(min_value=0, max_value=2**32 - 1)
index_paths = st.lists(st.integers(min_value=0, max_value=2**40), min_size=1, max_size=8)


def test_header_is_magic_byte_then_big_endian_id() -> None:
    assert encode_header(258) == b"\x00\x00\x00\x01\x02"


def test_the_first_message_is_a_single_zero_byte() -> None:
    assert encode_message_indexes([0]) == b"\x00"
    assert encode_header(1, [0]) == b"\x00\x00\x00\x00\x01\x00"


def test_other_paths_are_a_zigzag_count_then_zigzag_indexes() -> None:
    # count 2 -> 4, index 1 -> 2, index 0 -> 0
    assert encode_message_indexes([1, 0]) == b"\x04\x02\x00"


@given(schema_ids, st.binary(max_size=20))
def test_schema_id_round_trips(schema_id: int, payload: bytes) -> None:
    data = encode_header(schema_id) + payload
    assert decode_schema_id(data) == schema_id
    assert data[HEADER_SIZE:] == payload


@given(schema_ids, index_paths, st.binary(max_size=20))
def test_message_indexes_round_trip(schema_id: int, indexes: list[int], payload: bytes) -> None:
    data = encode_header(schema_id, indexes) + payload
    assert decode_schema_id(data) == schema_id
    decoded, offset = decode_message_indexes(data)
    assert decoded == indexes
    assert data[offset:] == payload


@given(schema_ids, index_paths)
def test_confluent_reads_our_headers(schema_id: int, indexes: list[int]) -> None:
    theirs = SchemaId("PROTOBUF")
    rest = theirs.from_bytes(io.BytesIO(encode_header(schema_id, indexes) + b"payload"))
    assert (theirs.id, theirs.message_indexes) == (schema_id, indexes)
    assert rest.read() == b"payload"


@given(schema_ids, index_paths)
def test_we_read_confluents_headers(schema_id: int, indexes: list[int]) -> None:
    data = SchemaId("PROTOBUF", schema_id, message_indexes=indexes).id_to_bytes()
    assert data == encode_header(schema_id, indexes)
    assert decode_message_indexes(data) == (indexes, len(data))


def test_a_count_of_zero_means_the_first_message() -> None:
    assert decode_message_indexes(b"\x00\x00\x00\x00\x07\x00rest") == ([0], HEADER_SIZE + 1)


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        (b"", "shorter than the 5-byte header"),
        (b"\x00\x00\x00\x01", "shorter than the 5-byte header"),
        (b"\x01\x00\x00\x00\x01payload", "magic byte is 1"),
        (b'{"json": true}', "magic byte is 123"),
    ],
)
def test_bad_headers_are_refused(data: bytes, complaint: str) -> None:
    with pytest.raises(WireFormatError, match=complaint):
        decode_schema_id(data)


@pytest.mark.parametrize(
    ("indexes", "complaint"),
    [
        (b"", "truncated"),
        (b"\x04\x02", "count 2 does not fit"),  # count 2, one index byte
        (b"\x04\x82\x80", "truncated"),  # count 2, an index varint cut short
        (b"\x80", "truncated"),  # a varint whose continuation bit promises more
        (b"\x03\x00", "count -2"),  # zig-zag 3 is -2
        (b"\x02\x01", "index -1 is negative"),
        (b"\x7e", "does not fit"),  # count 63 with nothing after it
        (b"\xff" * 11, "longer than 10 bytes"),
    ],
)
def test_bad_message_index_lists_are_refused(indexes: bytes, complaint: str) -> None:
    with pytest.raises(WireFormatError, match=complaint):
        decode_message_indexes(b"\x00\x00\x00\x00\x01" + indexes)


@pytest.mark.parametrize(
    ("schema_id", "indexes", "complaint"),
    [
        (-1, None, "does not fit in 4 unsigned bytes"),
        (2**32, None, "does not fit in 4 unsigned bytes"),
        (1, [], "at least one index"),
        (1, [1, -1], "must not be negative"),
    ],
)
def test_headers_that_cannot_be_written_are_refused(
    schema_id: int, indexes: list[int] | None, complaint: str
) -> None:
    with pytest.raises(WireFormatError, match=complaint):
        encode_header(schema_id, indexes)
