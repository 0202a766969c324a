"""Which protection a product's producers and consumers apply to its classified fields."""

from __future__ import annotations

from streammesh.control import ProductRecord
from streammesh.governance import PolicyRegistry, mesh_fields_to_encrypt
from streammesh.privacy import FieldProtection, KeyStore


def protection_for(
    keys: KeyStore, policies: PolicyRegistry, record: ProductRecord
) -> FieldProtection | None:
    """The field protection of ``record``'s product version, or ``None`` when the mesh's
    governance policy asks to encrypt none of its fields (the baseline encrypts every
    classified field)."""
    encrypted = mesh_fields_to_encrypt(policies, record.descriptor)
    if not encrypted:
        return None
    return FieldProtection(
        keys, record.reference, record.descriptor.classifications, encrypted=encrypted
    )
