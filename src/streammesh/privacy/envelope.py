"""Sealed fields: the bytes of the ciphertext headers, and what they are bound to.

Format 2 (what producers write): one ``streammesh-enc-*`` header per event seals every
classified field of the event in one AES-256-GCM call::

    0x02 | key version (4 bytes, big-endian) | length of the field list (2 bytes, big-endian)
         | field list (the sealed field paths, sorted, UTF-8, joined by NUL)
         | nonce (12 bytes) | AES-256-GCM ciphertext + tag

The plaintext is the fields' values as one JSON object, field path → value (see
:func:`streammesh.privacy.values.encode_fields`). The associated data is a label, the product
version, every byte of the header before the nonce (format, key version, field list) and the
entity key: a header copied onto another entity's record or another product, or with a field
added to or removed from its list, fails authentication instead of revealing a wrong value.

Format 1 (written before; still read): one ``streammesh-enc-<field path>`` header per field::

    0x01 | key version (4 bytes, big-endian) | nonce (12 bytes) | AES-256-GCM ciphertext + tag

its associated data binding the product version, the field path, the key version and the
entity key. The first byte of a header value says its format: a (hypothetical) field named
``*`` sealed in format 1 shares the event header's name, never its format.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HEADER_PREFIX = "streammesh-enc-"
"""Record headers carrying a field's ciphertext are named this prefix plus the field path."""

EVENT_HEADER = HEADER_PREFIX + "*"
"""The header sealing every classified field of an event (format 2). Under ``HEADER_PREFIX``
like field headers, so whatever drops ciphertext headers by their prefix drops it too."""

FORMAT = 1
EVENT_FORMAT = 2
_HEAD = struct.Struct(">BI")
_EVENT_HEAD = struct.Struct(">BIH")
_EVENT_FORMAT_BYTE = bytes([EVENT_FORMAT])
_EVENT_AAD_LABEL = b"streammesh/event/v2\x00"
_TAG_BYTES = 16
_LISTS_MAX = 1_024
"""How many distinct field lists a process keeps parsed (a product has one per combination
of fields present: usually one)."""
_NONCE_BYTES = 12
_AAD_LABEL = b"streammesh/field/v1\x00"
_CIPHERS_MAX = 8_192
"""How many data keys' ciphers a process keeps ready (an AES-GCM key schedule costs ~3 µs)."""
_NONCE_POOL_BYTES = _NONCE_BYTES * 1_024


class SealBroken(ValueError):
    """A header that is not a sealed field, or whose ciphertext does not authenticate."""


@dataclass(frozen=True, slots=True)
class FieldBinding:
    """What a sealed field belongs to (its associated data)."""

    product: str
    """The product version, ``<name>.v<N>``."""
    field: str
    entity_key: bytes

    def associated_data(self, key_version: int) -> bytes:
        return (
            field_prefix(self.product, self.field)
            + key_version.to_bytes(4, "big")
            + (self.entity_key)
        )


def event_prefix(product: str) -> bytes:
    """The start of the associated data of every format-2 header of ``product``."""
    return _EVENT_AAD_LABEL + product.encode() + b"\x00"


def field_list(paths: tuple[str, ...]) -> bytes:
    """The field list of a format-2 header sealing ``paths`` (sorted), with its length.

    Raises:
        ValueError: a path holds NUL (the separator) or the list is longer than 65,535 bytes.
    """
    if any("\x00" in path for path in paths):
        raise ValueError("a field path holds NUL")
    joined = "\x00".join(sorted(paths)).encode()
    if len(joined) > 0xFFFF:
        raise ValueError(f"the field list is {len(joined)} bytes, more than 65,535")
    return len(joined).to_bytes(2, "big") + joined


_lists: dict[bytes, tuple[tuple[str, ...], frozenset[str]]] = {}


def sealed_fields(header: bytes) -> tuple[str, ...]:
    """The field paths a format-2 header seals (sorted).

    Raises:
        SealBroken: the bytes are not a format-2 header.
    """
    return _parse_event(header)[1][0]


def event_key_version(header: bytes) -> int:
    """The data key version of a format-2 header (check :func:`is_event_header` first).

    Raises:
        SealBroken: it is too short to be one.
    """
    if len(header) < _EVENT_HEAD.size + _NONCE_BYTES + _TAG_BYTES:
        raise SealBroken(f"the header is {len(header)} bytes, too short for sealed fields")
    return int(_HEAD.unpack_from(header)[1])


def is_event_header(header: bytes) -> bool:
    """Whether a header value is in format 2 (one header for every field of an event)."""
    return header[:1] == _EVENT_FORMAT_BYTE


def _parse_event(header: bytes) -> tuple[int, tuple[tuple[str, ...], frozenset[str]], int]:
    """Key version, sealed field paths (sorted, and as a set) and where the nonce starts, of
    a format-2 header."""
    if len(header) < _EVENT_HEAD.size + _NONCE_BYTES + _TAG_BYTES:
        raise SealBroken(f"the header is {len(header)} bytes, too short for sealed fields")
    form, version, size = _EVENT_HEAD.unpack_from(header)
    if form != EVENT_FORMAT:
        raise SealBroken(f"the header is in format {form}, not {EVENT_FORMAT}")
    end = _EVENT_HEAD.size + size
    if len(header) < end + _NONCE_BYTES + _TAG_BYTES:
        raise SealBroken(f"the header is {len(header)} bytes, too short for its field list")
    listed = header[_EVENT_HEAD.size : end]
    paths = _lists.get(listed)
    if paths is None:
        try:
            split = tuple(listed.decode().split("\x00"))
        except UnicodeDecodeError:
            raise SealBroken("the header's field list is not UTF-8") from None
        if len(_lists) >= _LISTS_MAX:
            _lists.clear()
        paths = _lists[listed] = (split, frozenset(split))
    return version, paths, end


def field_prefix(product: str, field_path: str) -> bytes:
    """The start of the associated data of every sealed ``field_path`` of ``product``: what
    :class:`FieldBinding` binds, computed once per field instead of once per event."""
    return b"".join((_AAD_LABEL, product.encode(), b"\x00", field_path.encode(), b"\x00"))


@dataclass(slots=True)
class _Ciphers:
    """AES-GCM ciphers by key material, so that each entity's key schedule is set up once per
    process instead of once per field of every event. Only whoever holds a key's material
    (handed out by the key store, which forgets destroyed keys) can reach its cipher."""

    ready: dict[bytes, AESGCM] = field(default_factory=dict)

    def __call__(self, key: bytes) -> AESGCM:
        cipher = self.ready.get(key)
        if cipher is None:
            if len(self.ready) >= _CIPHERS_MAX:
                self.ready.clear()  # bounded; rebuilding one costs ~3 µs
            cipher = self.ready[key] = AESGCM(key)
        return cipher


_NONCE_SLICES = tuple(
    slice(at, at + _NONCE_BYTES) for at in range(0, _NONCE_POOL_BYTES, _NONCE_BYTES)
)
_next_nonce: Callable[[], bytes] = iter(()).__next__
"""The next nonce of the current pool: a C iterator, so that threads sharing it never get
the same slice (the GIL is held through each step)."""


def _nonce() -> bytes:
    """A random 96-bit nonce, drawn from the OS's CSPRNG a thousand at a time (one
    ``getrandom`` per nonce costs more than the encryption). A child process forgets the
    pool it inherited, so parent and child never use the same nonce."""
    global _next_nonce
    try:
        return _next_nonce()
    except StopIteration:  # used up (or forgotten): a new pool
        pool = os.urandom(_NONCE_POOL_BYTES)
        _next_nonce = map(pool.__getitem__, _NONCE_SLICES).__next__
        return _next_nonce()


def _forget_nonces() -> None:
    global _next_nonce
    _next_nonce = iter(()).__next__


cipher_for = _Ciphers()
"""The AES-GCM cipher of a data key's material (cached per process)."""
os.register_at_fork(after_in_child=_forget_nonces)


def header_name(field: str) -> str:
    """The header carrying ``field``'s ciphertext."""
    return HEADER_PREFIX + field


def seal(key: bytes, key_version: int, binding: FieldBinding, plaintext: bytes) -> bytes:
    """The header value holding ``plaintext`` encrypted with data key ``key``."""
    return seal_with(cipher_for(key), key_version, binding.associated_data(key_version), plaintext)


def seal_with(cipher: AESGCM, key_version: int, associated_data: bytes, plaintext: bytes) -> bytes:
    """:func:`seal` with the data key's cipher and the binding's associated data at hand."""
    nonce = _nonce()
    return (
        _HEAD.pack(FORMAT, key_version) + nonce + cipher.encrypt(nonce, plaintext, associated_data)
    )


@dataclass(frozen=True, slots=True)
class EntitySeal:
    """Seals and opens fields of one entity with one version of its data key: what every
    field of every event of that entity shares (cipher, header start, the end of the
    associated data), built once.

    Attributes:
        cipher: The data key's AES-GCM cipher.
        version: The data key version.
        head: The header's first bytes (format and key version).
        suffix: The end of the associated data: key version and entity key (a field's
            :func:`field_prefix` goes before it).
    """

    cipher: AESGCM
    version: int
    head: bytes
    suffix: bytes
    event_head: bytes
    """A format-2 header's first bytes (format and key version)."""
    entity_key: bytes

    @classmethod
    def of(cls, key: bytes, key_version: int, entity_key: bytes) -> EntitySeal:
        """The seal of ``entity_key``'s data key ``key``, version ``key_version``."""
        return cls(
            cipher_for(key),
            key_version,
            _HEAD.pack(FORMAT, key_version),
            key_version.to_bytes(4, "big") + entity_key,
            _EVENT_FORMAT_BYTE + key_version.to_bytes(4, "big"),
            entity_key,
        )

    def seal_event(self, prefix: bytes, fields: bytes, plaintext: bytes) -> bytes:
        """The format-2 header of an event's fields.

        Args:
            prefix: The product's :func:`event_prefix`.
            fields: The :func:`field_list` of the fields ``plaintext`` holds.
            plaintext: The fields' values (``values.encode_fields``).
        """
        clear = self.event_head + fields
        nonce = _nonce()
        return (
            clear + nonce + self.cipher.encrypt(nonce, plaintext, prefix + clear + self.entity_key)
        )

    def open_event(self, prefix: bytes, header: bytes, nonce_at: int) -> bytes:
        """The plaintext of a format-2 header sealed with this key version (parse it with
        :func:`open_event_header` first, which gives ``nonce_at``).

        Raises:
            SealBroken: it does not authenticate (altered, its field list changed, or sealed
                for another product or entity).
        """
        try:
            return self.cipher.decrypt(
                header[nonce_at : nonce_at + _NONCE_BYTES],
                header[nonce_at + _NONCE_BYTES :],
                prefix + header[:nonce_at] + self.entity_key,
            )
        except InvalidTag:
            raise SealBroken(
                "the ciphertext does not authenticate for this product, field list and entity key"
            ) from None

    def seal(self, prefix: bytes, plaintext: bytes) -> bytes:
        """The header value of a field whose associated data starts with ``prefix``."""
        nonce = _nonce()
        return self.head + nonce + self.cipher.encrypt(nonce, plaintext, prefix + self.suffix)

    def open(self, prefix: bytes, header: bytes) -> bytes:
        """The plaintext of a header sealed with this key version (check it with
        :func:`key_version_of` first).

        Raises:
            SealBroken: it does not authenticate (altered, or sealed for another product,
                field or entity).
        """
        try:
            return self.cipher.decrypt(
                header[_HEAD.size : _HEAD.size + _NONCE_BYTES],
                header[_HEAD.size + _NONCE_BYTES :],
                prefix + self.suffix,
            )
        except InvalidTag:
            raise SealBroken(
                "the ciphertext does not authenticate for this product, field and entity key"
            ) from None


def open_event_header(header: bytes) -> tuple[int, tuple[tuple[str, ...], frozenset[str]], int]:
    """What a format-2 header says in clear: the data key version, the sealed field paths
    (sorted, and as a set) and where its nonce starts (for :meth:`EntitySeal.open_event`).

    Raises:
        SealBroken: the bytes are not a format-2 header.
    """
    return _parse_event(header)


@dataclass(frozen=True, slots=True)
class EventSeal:
    """Seals and opens the format-2 headers of one entity, key version, product and field
    list: the header's clear part and the associated data, which every event of the entity
    with the same fields shares, built once.

    Attributes:
        cipher: The data key's AES-GCM cipher.
        clear: The header's bytes before the nonce (format, key version, field list).
        associated_data: What the ciphertext is bound to (see the module).
    """

    cipher: AESGCM
    clear: bytes
    associated_data: bytes

    @classmethod
    def of(cls, entity: EntitySeal, prefix: bytes, fields: bytes) -> EventSeal:
        """The seal of ``entity``'s headers listing ``fields`` (a :func:`field_list`) for the
        product whose :func:`event_prefix` is ``prefix``."""
        clear = entity.event_head + fields
        return cls(entity.cipher, clear, prefix + clear + entity.entity_key)

    def seal(self, plaintext: bytes) -> bytes:
        """The header sealing ``plaintext`` (``values.encode_fields`` of the listed fields)."""
        nonce = _nonce()
        return self.clear + nonce + self.cipher.encrypt(nonce, plaintext, self.associated_data)

    def open(self, header: bytes) -> bytes:
        """The plaintext of a header that starts with :attr:`clear`.

        Raises:
            SealBroken: it does not authenticate (altered, or sealed for another product or
                entity).
        """
        at = len(self.clear)
        try:
            return self.cipher.decrypt(
                header[at : at + _NONCE_BYTES], header[at + _NONCE_BYTES :], self.associated_data
            )
        except (InvalidTag, ValueError):
            raise SealBroken(
                "the ciphertext does not authenticate for this product, field list and entity key"
            ) from None


def key_version_of(header: bytes) -> int:
    """The data key version a header was sealed with.

    Raises:
        SealBroken: the bytes are not a sealed field of a known format.
    """
    if len(header) < _HEAD.size + _NONCE_BYTES + 16:
        raise SealBroken(f"the header is {len(header)} bytes, too short for a sealed field")
    form, version = _HEAD.unpack_from(header)
    if form != FORMAT:
        raise SealBroken(f"the header is in format {form}; this version reads format {FORMAT}")
    return int(version)


def open_sealed(key: bytes, binding: FieldBinding, header: bytes) -> bytes:
    """The plaintext sealed in ``header``.

    Raises:
        SealBroken: the header is malformed, or does not authenticate with ``key`` for
            ``binding`` (altered, or sealed for another product, field or entity).
    """
    return open_with(cipher_for(key), binding.associated_data(key_version_of(header)), header)


def open_with(cipher: AESGCM, associated_data: bytes, header: bytes) -> bytes:
    """:func:`open_sealed` with the data key's cipher and the associated data for the
    header's key version at hand.

    Raises:
        SealBroken: as :func:`open_sealed`.
    """
    key_version_of(header)  # the format and length checks
    nonce = header[_HEAD.size : _HEAD.size + _NONCE_BYTES]
    try:
        return cipher.decrypt(nonce, header[_HEAD.size + _NONCE_BYTES :], associated_data)
    except InvalidTag:
        raise SealBroken(
            "the ciphertext does not authenticate for this product, field and entity key"
        ) from None
