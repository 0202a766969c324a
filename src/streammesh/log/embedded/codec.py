"""The on-disk encoding of a record batch: columns of lengths, then the concatenated bytes.

A batch is columnar so that encoding and decoding run almost entirely in C (``array``,
``bytes.join``, slicing through ``map``) instead of a Python loop per record: this is what
lets a pure-Python log keep up with librdkafka. Layout (little-endian)::

    u8 version | u8 flags | u32 count
    [u32 offset delta] * count      if flags & GAPS  (after compaction removed records)
    i64 timestamp_ms   * count
    i32 key length     * count      (-1 = no key)
    i32 value length   * count      (-1 = tombstone)
    [i32 headers length * count]    if flags & HEADERS
    key bytes | value bytes | [header bytes]

Header bytes of one record: repeated ``u16 name length, name (UTF-8), u32 value length, value``.
"""

from __future__ import annotations

import struct
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import accumulate, chain, islice, repeat
from operator import itemgetter
from typing import Any, cast

from streammesh.log.base import Header, Record

VERSION = 1
GAPS = 1
HEADERS = 2

_PREFIX = struct.Struct("<BBI")
_HEADER_NAME = struct.Struct("<H")
_HEADER_VALUE = struct.Struct("<I")

PendingRecord = tuple[bytes | None, bytes | None, tuple[Header, ...], int]
"""A record to encode: key, value, headers, timestamp_ms."""

FIELDS = 4
"""Items per record in a flat record list (see :func:`encode_flat`)."""

_new_record = partial(tuple.__new__, Record)
_first = itemgetter(0)
_second = itemgetter(1)


@dataclass(frozen=True, slots=True)
class EncodedBatch:
    """An encoded batch and the facts the batches table indexes about it."""

    data: bytes
    count: int
    min_ts: int
    max_ts: int


def encode_batch(
    records: Sequence[PendingRecord], offset_deltas: Sequence[int] | None = None
) -> EncodedBatch:
    """Encode ``records``; ``offset_deltas`` (from the base offset) only when they have gaps."""
    keys, values, headers, timestamps = zip(*records, strict=True)
    return encode_columns(keys, values, headers, timestamps, offset_deltas)


def encode_flat(flat: Sequence[Any], start: int, stop: int) -> EncodedBatch:
    """Encode the records of ``flat[start:stop]``, a flat list holding key, value, headers and
    timestamp_ms of each record in turn (``FIELDS`` items each; ``start`` a multiple of it).

    A producer buffers records so: a list grows by whole records (``extend`` is one step under
    the GIL) and holds no tuple per record for the garbage collector to track and scan.
    """
    return encode_columns(
        flat[start:stop:FIELDS],
        flat[start + 1 : stop : FIELDS],
        flat[start + 2 : stop : FIELDS],
        flat[start + 3 : stop : FIELDS],
    )


def encode_columns(
    keys: Sequence[bytes | None],
    values: Sequence[bytes | None],
    headers: Sequence[tuple[Header, ...]],
    timestamps: Sequence[int],
    offset_deltas: Sequence[int] | None = None,
) -> EncodedBatch:
    """Encode records given as columns of equal length."""
    flags = 0
    parts: list[bytes] = [b""]
    if offset_deltas is not None:
        flags |= GAPS
        parts.append(array("I", offset_deltas).tobytes())
    parts.append(array("q", timestamps).tobytes())
    parts.append(_lengths(keys))
    parts.append(_lengths(values))
    header_bytes = b""
    if any(headers):
        flags |= HEADERS
        columns = _one_header_each(headers)
        if columns is None:
            header_blobs = [_encode_headers(h) for h in headers]
            columns = array("i", map(len, header_blobs)).tobytes(), b"".join(header_blobs)
        parts.append(columns[0])
        header_bytes = columns[1]
    parts.append(_joined(keys))
    parts.append(_joined(values))
    if header_bytes:
        parts.append(header_bytes)
    parts[0] = _PREFIX.pack(VERSION, flags, len(timestamps))
    return EncodedBatch(b"".join(parts), len(timestamps), min(timestamps), max(timestamps))


def decode_batch(topic: str, partition: int, base_offset: int, data: bytes) -> list[Record]:
    """Decode a batch written by :func:`encode_batch` into records of ``topic``/``partition``."""
    version, flags, count = _PREFIX.unpack_from(data)
    if version != VERSION:
        raise ValueError(f"unknown batch version {version}")
    pos = _PREFIX.size
    offsets: Iterable[int]
    if flags & GAPS:
        deltas = _column("I", data, pos, count)
        pos += 4 * count
        offsets = [base_offset + d for d in deltas]
    else:
        offsets = range(base_offset, base_offset + count)
    timestamps = _column("q", data, pos, count)
    pos += 8 * count
    key_lengths = _column("i", data, pos, count)
    pos += 4 * count
    value_lengths = _column("i", data, pos, count)
    pos += 4 * count
    header_lengths: list[int] | None = None
    if flags & HEADERS:
        header_lengths = _column("i", data, pos, count)
        pos += 4 * count
    keys, pos = _slices(data, pos, key_lengths)
    values, pos = _slices(data, pos, value_lengths)
    headers: Iterable[tuple[Header, ...]] = repeat(())
    if header_lengths is not None:
        blobs, pos = _slices(data, pos, header_lengths)
        header_blobs = cast(list[bytes], blobs)  # a header length is never -1
        headers = _one_header_each_read(header_blobs) or [
            _decode_headers(blob) if blob else () for blob in header_blobs
        ]
    return list(
        map(
            _new_record,
            zip(repeat(topic), repeat(partition), offsets, keys, values, headers, timestamps),
        )
    )


# Keys and values are rarely None, so the C fast paths below are tried first and the
# None-aware Python loop runs only when they fail (scanning for None up front costs more).


def _lengths(items: Sequence[bytes | None]) -> bytes:
    try:
        return array("i", map(len, items)).tobytes()  # type: ignore[arg-type]
    except TypeError:
        return array("i", [-1 if item is None else len(item) for item in items]).tobytes()


def _joined(items: Sequence[bytes | None]) -> bytes:
    try:
        return b"".join(items)  # type: ignore[arg-type]
    except TypeError:
        return b"".join(item for item in items if item)


def _column(typecode: str, data: bytes, pos: int, count: int) -> list[int]:
    column = array(typecode)
    column.frombytes(data[pos : pos + column.itemsize * count])
    return column.tolist()


def _slices(data: bytes, pos: int, lengths: list[int]) -> tuple[list[bytes | None], int]:
    """Cut consecutive byte strings of ``lengths`` (-1 = None) out of ``data`` from ``pos``."""
    has_none = -1 in lengths
    bounds = list(accumulate((max(n, 0) for n in lengths) if has_none else lengths, initial=pos))
    items: list[bytes | None] = list(
        map(data.__getitem__, map(slice, bounds, islice(bounds, 1, None)))
    )
    if has_none:
        items = [None if n < 0 else item for n, item in zip(lengths, items, strict=True)]
    return items, bounds[-1]


_NAMES_MAX = 4_096
_names: dict[str, bytes] = {}
"""Header names as written (length and UTF-8), by name: a topic's records repeat a few."""
_read_names: dict[bytes, str] = {}
"""Header names read back, by their UTF-8."""


def _one_header_each(headers: Sequence[tuple[Header, ...]]) -> tuple[bytes, bytes] | None:
    """The header lengths column and the header bytes of records that each carry exactly one
    header, all of one name (what a producer of classified fields writes), built without a
    Python step per record; ``None`` for any other mix (encoded record by record)."""
    if set(map(len, headers)) != {1}:
        return None
    pairs = list(map(_first, headers))
    names = set(map(_first, pairs))
    if len(names) != 1:
        return None
    (name,) = names
    head = _names.get(name) or _name_head(name)
    values = list(map(_second, pairs))
    value_lengths = list(map(len, values))
    record_lengths = array("i", map((len(head) + _HEADER_VALUE.size).__add__, value_lengths))
    body = b"".join(
        chain.from_iterable(zip(repeat(head), map(_HEADER_VALUE.pack, value_lengths), values))
    )
    return record_lengths.tobytes(), body


def _one_header_each_read(blobs: list[bytes]) -> list[tuple[Header, ...]] | None:
    """The headers of records whose blobs each hold exactly one header of the first blob's
    name (what :func:`_one_header_each` wrote), read without parsing each blob in Python;
    ``None`` for any other mix (read blob by blob)."""
    first = blobs[0]
    if not first or len(first) < _HEADER_NAME.size:
        return None
    (name_length,) = _HEADER_NAME.unpack_from(first)
    value_at = _HEADER_NAME.size + name_length + _HEADER_VALUE.size
    head = first[: _HEADER_NAME.size + name_length]
    try:
        if not all(map(bytes.startswith, blobs, repeat(head))):
            return None
        lengths = list(map(_HEADER_VALUE.unpack_from, blobs, repeat(len(head))))
    except struct.error:  # a blob cut short
        return None
    if list(map(len, blobs)) != [value_at + length for (length,) in lengths]:
        return None  # a second header after the first
    name = _name_of(head[_HEADER_NAME.size :])
    return [((name, blob[value_at:]),) for blob in blobs]


def _encode_headers(headers: tuple[Header, ...]) -> bytes:
    parts: list[bytes] = []
    for name, value in headers:
        head = _names.get(name) or _name_head(name)
        parts += (head, _HEADER_VALUE.pack(len(value)), value)
    return b"".join(parts)


def _name_head(name: str) -> bytes:
    """A header name as written: its length and UTF-8 (kept for the next record)."""
    encoded = name.encode()
    head = _HEADER_NAME.pack(len(encoded)) + encoded
    if len(_names) < _NAMES_MAX:
        _names[name] = head
    return head


def _decode_headers(blob: bytes) -> tuple[Header, ...]:
    headers: list[Header] = []
    pos = 0
    while pos < len(blob):
        (name_length,) = _HEADER_NAME.unpack_from(blob, pos)
        pos += _HEADER_NAME.size
        name = _name_of(blob[pos : pos + name_length])
        pos += name_length
        (value_length,) = _HEADER_VALUE.unpack_from(blob, pos)
        pos += _HEADER_VALUE.size
        headers.append((name, blob[pos : pos + value_length]))
        pos += value_length
    return tuple(headers)


def _name_of(encoded: bytes) -> str:
    """A header name read back (decoded once per name, kept for the next record)."""
    name = _read_names.get(encoded)
    if name is None:
        name = encoded.decode()
        if len(_read_names) < _NAMES_MAX:
            _read_names[encoded] = name
    return name
