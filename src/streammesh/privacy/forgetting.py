"""Forgetting an entity: its key as a person types it, turned into the bytes records carry.

``streammesh forget PRODUCT KEY`` and ``POST /api/v1/products/{reference}/forget`` take the
key as text; the data keys are filed under the key *bytes* of the records (see
:mod:`streammesh.dataplane.keys` for the encodings, which Kafka's serializers define).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from streammesh.privacy.errors import InvalidEntityKey
from streammesh.privacy.keys import KeyStore, product_name
from streammesh.products import KeyType

_INT_SIZES = {KeyType.INT: 4, KeyType.LONG: 8}


@dataclass(frozen=True, slots=True)
class Forgotten:
    """What ``forget`` did."""

    product: str
    key: str
    versions: int
    """How many data-key versions were destroyed (0: nothing was protected for the key)."""


def entity_key_bytes(product: str, key_type: KeyType, key: str) -> bytes:
    """The record key bytes of the entity key ``key`` typed as text.

    Raises:
        InvalidEntityKey: ``key`` is not a value of ``key_type``.
    """
    size = _INT_SIZES.get(key_type)
    if size is not None:
        try:
            number = int(key)
            return number.to_bytes(size, "big", signed=True)
        except (ValueError, OverflowError):
            raise InvalidEntityKey(
                product, key, key_type, f"not an integer of {size * 8} bits"
            ) from None
    if key_type is KeyType.UUID:
        try:
            return str(uuid.UUID(key)).encode()
        except ValueError:
            raise InvalidEntityKey(product, key, key_type, "not a UUID") from None
    return key.encode()


def forget(keys: KeyStore, product: str, key_type: KeyType, key: str, *, actor: str) -> Forgotten:
    """Destroy the data keys of entity ``key`` of ``product`` (every major version); audited.

    From then on every copy of the entity's encrypted fields reads as masked.

    Raises:
        InvalidEntityKey: ``key`` is not a value of the product's key type.
    """
    versions = keys.destroy(product, entity_key_bytes(product, key_type, key), actor=actor)
    return Forgotten(product_name(product), key, versions)
