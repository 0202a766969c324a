"""Checks every backend applies to a record before accepting it (nothing is queued on failure)."""

from __future__ import annotations

from collections.abc import Sequence

from streammesh.log.base import Header
from streammesh.log.errors import InvalidRecord, RecordTooLarge

_HEADER_OVERHEAD = 8
_MAX_TIMESTAMP_MS = 2**63 - 1
"""Kafka stores timestamps as signed 64-bit integers."""


def plain_headers_size(headers: Sequence[Header]) -> int:
    """The bytes ``headers`` add to a record's size (as :func:`check_record` counts them) when
    they are a tuple of ``(str, bytes)`` pairs — what a producer's inline path takes — else
    -1: the checked path then names the bad one."""
    if type(headers) is not tuple:
        return -1
    size = 0
    for header in headers:
        if (
            type(header) is not tuple
            or len(header) != 2
            or type(header[0]) is not str
            or type(header[1]) is not bytes
        ):
            return -1
        size += len(header[0]) + len(header[1]) + _HEADER_OVERHEAD
    return size


def check_headers(topic: str, headers: Sequence[Header]) -> tuple[Header, ...]:
    """Return ``headers`` as a tuple of ``(str, bytes)`` pairs, or raise naming the bad entry."""
    if not headers:
        return ()
    if isinstance(headers, str | bytes | dict):
        raise InvalidRecord(topic, "headers", "must be a sequence of (str, bytes) pairs")
    checked: list[Header] = []
    for index, header in enumerate(headers):
        if (
            not isinstance(header, tuple)
            or len(header) != 2
            or not isinstance(header[0], str)
            or not isinstance(header[1], bytes)
        ):
            raise InvalidRecord(topic, f"header #{index}", "must be a (str, bytes) pair")
        checked.append(header)
    return tuple(checked)


def check_record(
    topic: str,
    key: object,
    value: object,
    headers: tuple[Header, ...],
    timestamp_ms: object,
    max_record_bytes: int,
) -> int:
    """Raise ``InvalidRecord``/``RecordTooLarge`` for a bad record; return its size in bytes."""
    if key is not None and not isinstance(key, bytes):
        raise InvalidRecord(topic, "key", f"must be bytes or None, not {type(key).__name__}")
    if value is not None and not isinstance(value, bytes):
        raise InvalidRecord(topic, "value", f"must be bytes or None, not {type(value).__name__}")
    if timestamp_ms is not None and (
        isinstance(timestamp_ms, bool)
        or not isinstance(timestamp_ms, int)
        or not 0 <= timestamp_ms <= _MAX_TIMESTAMP_MS
    ):
        raise InvalidRecord(
            topic,
            "timestamp_ms",
            f"must be an int of UTC milliseconds in 0..2**63-1, not {timestamp_ms!r}",
        )
    size = (len(key) if key else 0) + (len(value) if value else 0)
    for name, data in headers:
        size += len(name) + len(data) + _HEADER_OVERHEAD
    if size > max_record_bytes:
        raise RecordTooLarge(topic, size, max_record_bytes)
    return size
