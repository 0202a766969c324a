"""Event keys: taken from an event's key field and encoded the way Kafka's clients encode them.

A product's key decides its partition (murmur2 of the key bytes, as every Kafka client does),
so the bytes must be the ones a Java or Kafka Streams application would write for the same
key, or the two would put one entity in two partitions:

======  =======================================  ==========================================
type    event field holds                        key bytes (Kafka serializer)
======  =======================================  ==========================================
string  ``str`` (or a ``uuid.UUID``)             UTF-8 (``StringSerializer``)
uuid    ``uuid.UUID`` or its text                canonical lowercase text, UTF-8
                                                 (``UUIDSerializer``)
int     ``int`` in -2**31..2**31-1               4 bytes big-endian signed
                                                 (``IntegerSerializer``)
long    ``int`` in -2**63..2**63-1               8 bytes big-endian signed
                                                 (``LongSerializer``)
bytes   ``bytes`` (or ``str``, taken as UTF-8)   as they are (``ByteArraySerializer``)
======  =======================================  ==========================================

Read back, keys are ``str``, ``uuid.UUID``, ``int``, ``int`` and ``bytes`` respectively.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as attribute
from typing import Any

from streammesh.dataplane.errors import InvalidKey
from streammesh.products import KeyType

Key = str | int | uuid.UUID | bytes
"""A decoded key, by key type: ``str``, ``int`` (int and long), ``uuid.UUID``, ``bytes``."""

_INT_SIZES = {KeyType.INT: 4, KeyType.LONG: 8}


@dataclass(frozen=True, slots=True)
class KeyCodec:
    """Encodes the key of events of one product and decodes the key bytes of its records.

    Example:
        >>> codec = KeyCodec("account.id", KeyType.LONG)
        >>> codec.key_of({"account": {"id": 7}})
        b'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x07'
        >>> codec.decode(b"\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x07")
        7
    """

    field: str
    """Dotted path of the key field in an event (``account.id``)."""
    key_type: KeyType

    _top: bool = attribute(init=False, repr=False, compare=False)
    """Whether the key field is a top-level field (no dot in its path)."""
    _encoder: Callable[[str, object], bytes] = attribute(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_top", "." not in self.field)
        object.__setattr__(self, "_encoder", _ENCODERS[self.key_type])

    def key_of(self, event: Mapping[str, Any]) -> bytes:
        """The key bytes of ``event``.

        Raises:
            InvalidKey: the field is missing or null, or its value does not fit the key type.
        """
        if self._top and type(event) is dict:  # per event: the plain case without the walk
            value = event.get(self.field)
            if value is not None:
                return self._encoder(self.field, value)
        return self.encode(_field_value(event, self.field))

    def encode(self, value: object) -> bytes:
        """The key bytes of a key value (see the module docstring for what each type takes).

        Raises:
            InvalidKey: ``value`` is null or does not fit the key type.
        """
        if value is None:
            raise InvalidKey(self.field, "key.null", "is null; every event needs a key")
        return _ENCODERS[self.key_type](self.field, value)

    def decode(self, data: bytes) -> Key:
        """The key value that ``data`` encodes.

        Raises:
            InvalidKey: ``data`` is not an encoding of the key type (wrong length, not UTF-8,
                not a UUID).
        """
        size = _INT_SIZES.get(self.key_type)
        if size is not None:
            if len(data) != size:
                raise InvalidKey(
                    self.field,
                    "key.format",
                    f"is {len(data)} bytes long; a '{self.key_type}' key is {size} big-endian "
                    "bytes",
                )
            return int.from_bytes(data, "big", signed=True)
        if self.key_type is KeyType.BYTES:
            return data
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidKey(
                self.field, "key.format", f"is not UTF-8 text ({exc.reason} at byte {exc.start})"
            ) from exc
        if self.key_type is KeyType.UUID:
            try:
                return uuid.UUID(text)
            except ValueError as exc:
                raise InvalidKey(
                    self.field, "key.format", f"holds {_shown(text)}, which is not a UUID"
                ) from exc
        return text


def _field_value(event: Mapping[str, Any], path: str) -> object:
    current: object = event
    walked: list[str] = []
    for part in path.split("."):
        walked.append(part)
        if not isinstance(current, Mapping) or part not in current:
            raise InvalidKey(
                path,
                "key.missing",
                f"is missing (no '{'.'.join(walked)}' in the event); every event needs its key",
            )
        current = current[part]
    return current


def _wrong_type(path: str, key_type: KeyType, value: object, expected: str) -> InvalidKey:
    return InvalidKey(
        path,
        "key.type",
        f"is {type(value).__name__} {_shown(value)}; a '{key_type}' key needs {expected}",
    )


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _encode_string(path: str, value: object) -> bytes:
    if isinstance(value, uuid.UUID):
        return str(value).encode()
    if not isinstance(value, str):
        raise _wrong_type(path, KeyType.STRING, value, "a str")
    return value.encode("utf-8")


def _encode_uuid(path: str, value: object) -> bytes:
    if isinstance(value, uuid.UUID):
        return str(value).encode()
    if not isinstance(value, str):
        raise _wrong_type(path, KeyType.UUID, value, "a uuid.UUID or its text")
    try:
        return str(uuid.UUID(value)).encode()
    except ValueError as exc:
        raise InvalidKey(path, "key.format", f"holds {_shown(value)}, which is not a UUID") from exc


def _int_encoder(key_type: KeyType) -> Callable[[str, object], bytes]:
    size = _INT_SIZES[key_type]
    low, high = -(2 ** (size * 8 - 1)), 2 ** (size * 8 - 1) - 1

    def encode(path: str, value: object) -> bytes:
        # bool is an int to Python but never a key to anyone else.
        if isinstance(value, bool) or not isinstance(value, int):
            raise _wrong_type(path, key_type, value, "an int")
        if not low <= value <= high:
            raise InvalidKey(
                path,
                "key.range",
                f"is {value}, outside the range of a '{key_type}' key ({low}..{high})",
            )
        return value.to_bytes(size, "big", signed=True)

    return encode


def _encode_bytes(path: str, value: object) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):  # JSON Schema has no bytes: such keys are strings
        return value.encode("utf-8")
    raise _wrong_type(path, KeyType.BYTES, value, "bytes")


_ENCODERS: dict[KeyType, Callable[[str, object], bytes]] = {
    KeyType.STRING: _encode_string,
    KeyType.UUID: _encode_uuid,
    KeyType.INT: _int_encoder(KeyType.INT),
    KeyType.LONG: _int_encoder(KeyType.LONG),
    KeyType.BYTES: _encode_bytes,
}
