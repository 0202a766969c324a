"""Sealed fields: the bytes of a ``streammesh-enc-<field>`` header, and what they are bound to.

Layout of a header value (format 1)::

    0x01 | key version (4 bytes, big-endian) | nonce (12 bytes) | AES-256-GCM ciphertext + tag

The associated data binds the ciphertext to the product version, the field path, the key
version and the entity key: a header copied onto another field, another entity's record or
another product fails authentication instead of revealing a wrong value.
"""

from __future__ import annotations

import secrets
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HEADER_PREFIX = "streammesh-enc-"
"""Record headers carrying a field's ciphertext are named this prefix plus the field path."""

FORMAT = 1
_HEAD = struct.Struct(">BI")
_NONCE_BYTES = 12
_AAD_LABEL = b"streammesh/field/v1\x00"


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
        return b"".join(
            (
                _AAD_LABEL,
                self.product.encode(),
                b"\x00",
                self.field.encode(),
                b"\x00",
                key_version.to_bytes(4, "big"),
                self.entity_key,
            )
        )


def header_name(field: str) -> str:
    """The header carrying ``field``'s ciphertext."""
    return HEADER_PREFIX + field


def seal(key: bytes, key_version: int, binding: FieldBinding, plaintext: bytes) -> bytes:
    """The header value holding ``plaintext`` encrypted with data key ``key``."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext, binding.associated_data(key_version))
    return _HEAD.pack(FORMAT, key_version) + nonce + sealed


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
    version = key_version_of(header)
    nonce = header[_HEAD.size : _HEAD.size + _NONCE_BYTES]
    try:
        return AESGCM(key).decrypt(
            nonce, header[_HEAD.size + _NONCE_BYTES :], binding.associated_data(version)
        )
    except InvalidTag:
        raise SealBroken(
            "the ciphertext does not authenticate for this product, field and entity key"
        ) from None
