"""``InputDecryption``: an input product's classified fields as the application may read them.

The data plane's producer writes a product's classified fields encrypted per entity key into
a ``streammesh-enc-*`` record header (one sealing every classified field of the event; records
written before it carry one ``streammesh-enc-<field>`` header per field, and are read alike),
with a schema-valid placeholder in the value. A
stream application reads those fields exactly as ``mesh.consumer(product)`` shows them to its
service account: in clear with a grant that includes classified fields (or as the mesh's
operator), as their placeholders otherwise — a field found in clear without its header is
masked too, and an entity whose key was destroyed (``streammesh forget``) reads as the
placeholder either way. The decryption is the data plane's own
(:class:`~streammesh.dataplane.Revealer`); this module only applies it where the engine
decodes a record's value into a row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from streammesh.control import ProductRecord
from streammesh.dataplane import Revealer, protection_for
from streammesh.governance import PolicyRegistry
from streammesh.log import Record
from streammesh.privacy import FieldProtection, KeyStore
from streammesh.streams.formats.base import FormatName, Row, RowSerde
from streammesh.streams.formats.errors import DeserializationFailed
from streammesh.streams.formats.registry import AvroSerde, JsonSrSerde, ProtobufSerde

__all__ = ["InputDecryption", "input_decryptions"]


@dataclass(frozen=True, slots=True)
class InputDecryption:
    """How the records of one product's topic are read: their encrypted fields revealed or
    masked for the application (see the module).

    Attributes:
        product: The product version, ``<name>.v<N>``.
        revealer: The data plane's reveal of the product's protected fields for the reader.
    """

    product: str
    revealer: Revealer

    @property
    def clear(self) -> bool:
        """Whether classified fields are read in clear."""
        return self.revealer.clear

    def row(self, serde: RowSerde, record: Record) -> Row | None:
        """The value row of ``record``, read with ``serde`` (the source's value serde), its
        encrypted fields decrypted or masked.

        Raises:
            DeserializationFailed: the value cannot be read, an encrypted field cannot be
                decrypted (its header was altered or moved), or ``serde`` is not a data
                product's format (a product is always AVRO, JSON_SR or PROTOBUF).
        """
        if not isinstance(serde, AvroSerde | JsonSrSerde | ProtobufSerde):
            raise DeserializationFailed(
                FormatName.NONE,
                f"the product {self.product} is read in a format that cannot hold its"
                " encrypted fields",
            )

        def reveal(value: dict[str, Any]) -> dict[str, Any]:
            return self.revealer(value, record)

        return serde.deserialize_revealed(record.value, reveal)


def input_decryptions(
    inputs: Iterable[ProductRecord],
    clear: Mapping[str, bool],
    *,
    keys: KeyStore | None,
    policies: PolicyRegistry | None,
    principal: str,
    outputs: Mapping[str, FieldProtection] | None = None,
) -> dict[str, InputDecryption]:
    """Per topic, how an application reads the data products it reads.

    Args:
        inputs: The input product versions.
        clear: Per input product version, whether it reads classified fields in clear
            (``PreparedApplication.clear``); a version missing reads them masked.
        keys: The mesh's data keys; ``None`` decrypts nothing (the fields read as they are
            on the log, their placeholders).
        policies: The governance policies that say which fields are encrypted; ``None``
            takes every classified field (the baseline), as the producer does then.
        principal: Who the data keys are handed out to, for the audit log.
        outputs: Per output product topic, the protection the application encrypts it with:
            a later query of the script reading that topic reads its own results in clear.

    Returns:
        Per topic, its decryption; a product whose fields governance leaves unencrypted has
        none (its records are read as they are).
    """
    if keys is None:
        return {}
    found: dict[str, InputDecryption] = {}
    for record in inputs:
        protection = (
            protection_for(keys, policies, record)
            if policies is not None
            else FieldProtection(keys, record.reference, record.descriptor.classifications)
        )
        if protection is not None and protection.encrypted:
            revealer = Revealer(protection, clear.get(record.reference, False), principal)
            found[record.contract.topic] = InputDecryption(record.reference, revealer)
    for topic, protection in (outputs or {}).items():
        found.setdefault(
            topic, InputDecryption(protection.product, Revealer(protection, True, principal))
        )
    return found
