"""Records of a product's topic read back as events of the product: what the consumer and the
sample share."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from streammesh.control import ProductContract
from streammesh.dataplane.errors import InvalidKey, UnreadableEvent
from streammesh.dataplane.events import ProductEvent, timestamp_of
from streammesh.dataplane.keys import KeyCodec
from streammesh.log import Record
from streammesh.privacy import FieldProtection, RevealRecord, UndecryptableField
from streammesh.registry import SchemaNotFound
from streammesh.schemas import SchemaError
from streammesh.serde import Deserializer, SchemaResolver, decode_schema_id

Reveal = Callable[[dict[str, Any], Record], dict[str, Any]]
"""Turns a decoded value into what its reader may see of it (protected fields revealed or
masked); may raise ``UndecryptableField``."""

RevealValue = RevealRecord
"""What :meth:`RecordDecoder.event` calls per record: the decoded value (updated in place
and returned), the record's headers and its key (``b""`` for none) to the value as its
reader may see it; may raise ``UndecryptableField``."""


@dataclass(frozen=True, slots=True)
class Revealer:
    """A product's protected fields as one reader may see them: decrypted with ``clear`` (a
    grant that includes classified fields, or the operator), else masked; a field whose
    entity key was destroyed stays masked. A :data:`Reveal`.

    Attributes:
        protection: The product version's field protection.
        clear: Whether classified fields are decrypted.
        principal: Who the data keys are handed out to, for the audit log.
    """

    protection: FieldProtection
    clear: bool
    principal: str
    per_record: RevealValue = field(init=False, repr=False, compare=False)
    """The protection's per-reader function, found once (it runs per record): what
    :meth:`RecordDecoder.event` calls."""

    def __post_init__(self) -> None:
        reveal = self.protection.record_revealer(clear=self.clear, principal=self.principal)
        object.__setattr__(self, "per_record", reveal)

    def __call__(self, value: dict[str, Any], record: Record) -> dict[str, Any]:
        """``value``, the decoded value of ``record``, as the reader may see it.

        Raises:
            UndecryptableField: a ciphertext header was altered or moved from elsewhere.
        """
        return self.per_record(value, record.headers, record.key or b"")

    def together(self) -> AbstractContextManager[None]:
        """A block in which revealing several events audits their key handouts in one write
        when it ends (see ``KeyStore.handouts_together``): for a batch revealed before any
        of it is returned."""
        if not self.clear:
            return nullcontext()  # masked: no key is handed out
        return self.protection.keys.handouts_together()


class RecordDecoder:
    """Decodes records of one product's topic: the key per the product's key type, the value
    with the schema its wire-format header names."""

    def __init__(self, contract: ProductContract, resolver: SchemaResolver) -> None:
        self._contract = contract
        self._keys = KeyCodec(contract.key_field, contract.key_type)
        self._deserializer = Deserializer(resolver)

    def event(self, record: Record, reveal: RevealValue | None = None) -> ProductEvent:
        """``record`` as an event of the product, its value passed through ``reveal`` (a
        :attr:`Revealer.per_record`).

        Raises:
            UnreadableEvent: It is not an event of the product (not in the wire format, an
                unknown schema id, undecodable bytes or key, not a record of fields), or a
                protected field of it cannot be decrypted; the cause is chained.
        """
        key = None
        try:
            if record.key is not None:
                key = self._keys.decode(record.key)
            if record.value is None:
                value, schema_id = None, None
            else:
                schema_id = decode_schema_id(record.value)
                value = self._deserializer.deserialize(record.value)
        except (SchemaError, SchemaNotFound, InvalidKey) as exc:
            raise self._unreadable(record, str(exc)) from exc
        if value is not None and not isinstance(value, dict):
            raise self._unreadable(
                record, f"its value is a {type(value).__name__}, not a record of fields"
            )
        if reveal is not None and value is not None:
            try:
                value = reveal(value, record.headers, record.key or b"")
            except UndecryptableField as exc:
                raise self._unreadable(record, str(exc)) from exc
        return ProductEvent(
            product=self._contract.reference,
            key=key,
            value=value,
            partition=record.partition,
            offset=record.offset,
            timestamp=timestamp_of(record.timestamp_ms),
            schema_id=schema_id,
            headers=record.headers,
        )

    def _unreadable(self, record: Record, reason: str) -> UnreadableEvent:
        return UnreadableEvent(
            self._contract.reference, record.topic, record.partition, record.offset, reason
        )


class ProductDecoder:
    """Records of one product's topic read as events by one reader, outside any consumer:
    for readers that assign partitions and seek themselves (connector sinks).

    Classified fields are decrypted when ``clear`` (the reader's grant includes them), else
    masked, as :class:`~streammesh.dataplane.consumer.ProductConsumer` does.
    """

    def __init__(
        self,
        contract: ProductContract,
        resolver: SchemaResolver,
        protection: FieldProtection | None,
        *,
        clear: bool,
        principal: str,
    ) -> None:
        self.contract = contract
        self._decoder = RecordDecoder(contract, resolver)
        self._reveal: RevealValue | None = (
            None if protection is None else Revealer(protection, clear, principal).per_record
        )

    def event(self, record: Record) -> ProductEvent:
        """``record`` as an event the reader may see.

        Raises:
            UnreadableEvent: it is not an event of the product (the cause is chained).
        """
        return self._decoder.event(record, self._reveal)
