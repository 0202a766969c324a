"""Checks of what callers hand a store: keys and values are bytes, times are int milliseconds."""

from __future__ import annotations

from streammesh.streams.state.errors import InvalidStoreInput


def check_bytes(what: str, value: object) -> bytes:
    """Return ``value`` if it is bytes, else raise ``InvalidStoreInput`` naming ``what``."""
    if not isinstance(value, bytes | bytearray | memoryview):
        raise InvalidStoreInput(what, f"must be bytes, not {type(value).__name__}")
    return bytes(value)


def check_time(what: str, value: object) -> int:
    """Return ``value`` if it is an int (UTC milliseconds), else raise ``InvalidStoreInput``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidStoreInput(what, f"must be an int (UTC milliseconds), not {value!r}")
    return value
