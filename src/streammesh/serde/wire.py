"""The Confluent wire format: how a schema-registry serializer frames a payload.

A framed payload is the magic byte ``0``, the schema id as a 4-byte big-endian unsigned
integer, for Protobuf the message-index list, then the format's payload. The message-index
list locates the record message in its ``.proto`` file (``[1, 0]``: the first message nested
in the second top-level one); Confluent writes it as a zig-zag varint count followed by
zig-zag varint indexes, and writes the common ``[0]`` as the single byte ``0`` (a count of
zero, which readers take to mean ``[0]``).
"""

from __future__ import annotations

from collections.abc import Sequence

from streammesh.serde.errors import WireFormatError

MAGIC = 0
"""The magic byte of a payload framed with a 4-byte schema id."""
HEADER_SIZE = 5
"""Magic byte and schema id."""
_MAX_SCHEMA_ID = 0xFFFFFFFF
_MAX_VARINT_BYTES = 10
"""A 64-bit value takes at most 10 varint bytes; anything longer is corrupt."""


def encode_header(schema_id: int, message_indexes: Sequence[int] | None = None) -> bytes:
    """The wire-format header for ``schema_id`` (and a Protobuf message-index path).

    Raises:
        WireFormatError: the id does not fit 4 unsigned bytes, or an index is negative or the
            index path is empty.
    """
    if not 0 <= schema_id <= _MAX_SCHEMA_ID:
        raise WireFormatError(f"schema id {schema_id} does not fit in 4 unsigned bytes")
    header = bytes((MAGIC,)) + schema_id.to_bytes(4, "big")
    if message_indexes is None:
        return header
    return header + encode_message_indexes(message_indexes)


def encode_message_indexes(indexes: Sequence[int]) -> bytes:
    """Confluent's encoding of a message-index path (``[0]`` is the single byte ``0``)."""
    if not indexes:
        raise WireFormatError("a message-index path needs at least one index")
    if any(index < 0 for index in indexes):
        raise WireFormatError(f"message indexes must not be negative, got {list(indexes)}")
    if list(indexes) == [0]:
        return b"\x00"
    out = bytearray()
    for value in (len(indexes), *indexes):
        _write_zigzag(out, value)
    return bytes(out)


def decode_schema_id(data: bytes) -> int:
    """The schema id of a framed payload (its payload starts at ``HEADER_SIZE``).

    Raises:
        WireFormatError: fewer than 5 bytes, or a magic byte other than 0.
    """
    if len(data) < HEADER_SIZE:
        raise WireFormatError(
            f"{len(data)} bytes is shorter than the 5-byte header (magic byte and schema id)"
        )
    if data[0] != MAGIC:
        raise WireFormatError(f"the magic byte is {data[0]}, expected {MAGIC}")
    return int.from_bytes(data[1:HEADER_SIZE], "big")


def decode_message_indexes(data: bytes, offset: int = HEADER_SIZE) -> tuple[list[int], int]:
    """The message-index path starting at ``offset`` and the offset of the payload after it.

    Raises:
        WireFormatError: a truncated or overlong varint, a negative count or index, or a count
            larger than the bytes that follow could hold.
    """
    count, offset = _read_zigzag(data, offset)
    if count == 0:
        return [0], offset
    if count < 0 or count > len(data) - offset:
        raise WireFormatError(
            f"message-index count {count} does not fit the {len(data) - offset} bytes that follow"
        )
    indexes: list[int] = []
    for _ in range(count):
        index, offset = _read_zigzag(data, offset)
        if index < 0:
            raise WireFormatError(f"message index {index} is negative")
        indexes.append(index)
    return indexes, offset


def _write_zigzag(out: bytearray, value: int) -> None:
    encoded = (value << 1) ^ (value >> 63)
    while encoded > 0x7F:
        out.append((encoded & 0x7F) | 0x80)
        encoded >>= 7
    out.append(encoded)


def _read_zigzag(data: bytes, offset: int) -> tuple[int, int]:
    value = 0
    for position in range(_MAX_VARINT_BYTES):
        if offset >= len(data):
            raise WireFormatError("the message-index list is truncated")
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << (7 * position)
        if not byte & 0x80:
            return (value >> 1) ^ -(value & 1), offset
    raise WireFormatError(f"a message-index varint is longer than {_MAX_VARINT_BYTES} bytes")
