"""Sealed fields: the bytes of a ``streammesh-enc-<field>`` header, and what they are bound to.

Layout of a header value (format 1)::

    0x01 | key version (4 bytes, big-endian) | nonce (12 bytes) | AES-256-GCM ciphertext + tag

The associated data binds the ciphertext to the product version, the field path, the key
version and the entity key: a header copied onto another field, another entity's record or
another product fails authentication instead of revealing a wrong value.
"""

from __future__ import annotations

import os
import struct
import threading
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HEADER_PREFIX = "streammesh-enc-"
"""Record headers carrying a field's ciphertext are named this prefix plus the field path."""

FORMAT = 1
_HEAD = struct.Struct(">BI")
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


class _Nonces(threading.local):
    """Random 96-bit nonces drawn from the OS's CSPRNG a thousand at a time (one
    ``getrandom`` per nonce costs more than the encryption), from a pool per thread. A child
    process forgets the pool it inherited, so parent and child never use the same nonce."""

    def __init__(self) -> None:
        self.pool = b""
        self.at = 0

    def forget(self) -> None:
        self.pool, self.at = b"", 0

    def __call__(self) -> bytes:
        at = self.at
        if at + _NONCE_BYTES > len(self.pool):
            self.pool, at = os.urandom(_NONCE_POOL_BYTES), 0
        self.at = at + _NONCE_BYTES
        return self.pool[at : at + _NONCE_BYTES]


cipher_for = _Ciphers()
"""The AES-GCM cipher of a data key's material (cached per process)."""
_nonce = _Nonces()
os.register_at_fork(after_in_child=_nonce.forget)  # the forking thread's pool is the child's


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

    @classmethod
    def of(cls, key: bytes, key_version: int, entity_key: bytes) -> EntitySeal:
        """The seal of ``entity_key``'s data key ``key``, version ``key_version``."""
        return cls(
            cipher_for(key),
            key_version,
            _HEAD.pack(FORMAT, key_version),
            key_version.to_bytes(4, "big") + entity_key,
        )

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
