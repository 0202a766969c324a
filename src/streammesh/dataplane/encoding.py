"""``ProductEncoder``: an event of a product turned into the record bytes its producers write.

What :class:`~streammesh.dataplane.producer.ProductProducer` does to an event before sending
it, without a log producer: validate against the product's schema (problems with field
paths), take and encode the key, encrypt classified fields into headers, serialize in the
Confluent wire format. Connectors use it to write events inside their own log transactions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from streammesh.control import ProductContract
from streammesh.dataplane.errors import EventProblem, InvalidEvent, InvalidKey
from streammesh.dataplane.events import event_fields
from streammesh.dataplane.keys import KeyCodec
from streammesh.log import Header
from streammesh.privacy import PLAIN_TYPES, FieldProtection
from streammesh.schemas import InvalidEvent as SchemaInvalidEvent
from streammesh.schemas import format_for
from streammesh.schemas.avro import AvroSchema
from streammesh.serde import EncodeHiding, SchemaResolver, Serializer

ProtectValid = Callable[[dict[str, Any], bytes], tuple[dict[str, Any], dict[str, bytes]] | None]
"""``FieldProtection.protect_valid``."""
SealedRecord = Callable[[dict[str, Any]], tuple[bytes, bytes, tuple[Header, ...]] | None]


@dataclass(frozen=True, slots=True)
class EncodedEvent:
    """An event as its record: key and value bytes, and the headers protection adds."""

    key: bytes
    value: bytes
    headers: tuple[Header, ...]


class ProductEncoder:
    """Validates, keys, protects and serializes events of one product version.

    Events are checked against the product's value schema as the subject's latest version
    was when the encoder was built.
    """

    def __init__(
        self,
        resolver: SchemaResolver,
        contract: ProductContract,
        *,
        protection: FieldProtection | None = None,
    ) -> None:
        """Args:
        resolver: Where the product's value schema is found.
        contract: The product version to encode for.
        protection: Encrypts the product's classified fields into record headers.

        Raises:
            SubjectNotFound: the product has no registered value schema.
        """
        self.contract = contract
        self._serializer = Serializer(resolver, contract.value_subject)
        self.keys = KeyCodec(contract.key_field, contract.key_type)
        self._protection = protection
        self._format = format_for(self._serializer.schema.schema_type)
        schema = self._serializer.schema
        self._accepts: Callable[[object], bool] | None = (
            schema.check if type(schema) is AvroSchema else None
        )
        """Avro's compiled check, asked first (the format's validate asks it too, after a
        dispatch that costs as much): only a refused event goes on to find its problem."""
        self._protect_valid: tuple[Callable[[object], bool], ProtectValid] | None = (
            (self._accepts, protection.protect_valid)
            if protection is not None and self._accepts is not None
            else None
        )
        """With protection of an Avro product: an event the check accepted as given gets
        placeholders the check chose for their fields, and is written without a second
        check (Avro checks each field on its own; a JSON Schema rule across fields could
        refuse the placeholders, so JSON Schema events are checked again)."""
        self._hiding: EncodeHiding | None = None
        """Once every protected field's placeholder is known: a writer that writes them as
        fixed bytes and hands back the values to seal (no copy of the event)."""
        self._hiding_plain = False
        self._hiding_tried = False
        self._sealed_record: SealedRecord | None = None
        """With :attr:`_hiding`: :meth:`encode_record` of a valid dict event in one call
        (``None`` back: the event takes the general path, which names its problem)."""

    @property
    def schema_id(self) -> int:
        """The registry id of the schema events are written with."""
        return self._serializer.schema_id

    @property
    def schema_name(self) -> str:
        """The schema's name, for messages."""
        return self._serializer.schema.name

    def encode(self, event: Mapping[str, Any] | object) -> EncodedEvent:
        """The record of ``event``.

        Raises:
            InvalidEvent: ``event`` breaks the schema, or its key is missing, null or does
                not fit the key type (the problem names the field path).
        """
        return EncodedEvent(*self.encode_record(event))

    def encode_record(
        self, event: Mapping[str, Any] | object
    ) -> tuple[bytes, bytes, tuple[Header, ...]]:
        """:meth:`encode` as a plain ``(key, value, headers)`` tuple, for a caller that sends
        each record at once (no object to build per event); raises as :meth:`encode` does."""
        try:
            if type(event) is dict:
                sealed = self._sealed_record
                if sealed is not None:  # protected fields, their placeholders known
                    done = sealed(event)
                    if done is not None:
                        return done
                elif self._protection is None:
                    # The common case in one call (a source worker's, per record): what
                    # encode_fields does for a plain dict and no protection.
                    value = self._serializer.serialize(event)  # first: it names problems best
                    return self.keys.key_of(event), value, ()
            key, value, headers = self.encode_fields(event)
        except (SchemaInvalidEvent, InvalidKey) as exc:
            raise self.invalid([problem_of(exc, None)], 1) from exc
        except RecursionError:
            raise self.invalid([problem_of(self._too_deep(), None)], 1) from None
        return key, value, tuple(headers.items())

    def encode_fields(self, event: object) -> tuple[bytes, bytes, dict[str, bytes]]:
        """The key and value bytes of ``event`` and the headers protection adds; raises the
        schema's ``InvalidEvent`` or ``InvalidKey`` (for callers collecting problems)."""
        fields = event_fields(event)
        if fields is None:
            raise SchemaInvalidEvent(
                self._serializer.schema.name,
                "",
                "event.type",
                f"is a {type(event).__name__}; give a mapping of fields, a dataclass or a "
                "pydantic model",
            )
        try:
            if self._protection is None:
                value = self._serializer.serialize(fields)  # first: it names problems best
                return self.keys.key_of(fields), value, {}
            valid = self._protect_valid
            if valid is not None and valid[0](fields):
                key = self.keys.key_of(fields)
                hiding = self._hiding
                if hiding is not None:
                    written = hiding(fields)
                    if written is not None:
                        value, values = written
                        plain = self._hiding_plain
                        return key, value, self._protection.seal_fields(values, key, plain=plain)
                done = valid[1](fields, key)
                if done is not None:
                    if not self._hiding_tried:
                        self._hiding_ready()
                    return key, self._serializer.serialize_valid(done[0]), done[1]
            else:
                self._check(fields)  # the event as given: errors name real problems
                key = self.keys.key_of(fields)
            protected, headers = self._protection.protect(fields, key, check=self._check)
            return key, self._serializer.serialize(protected), headers
        except RecursionError:
            raise self._too_deep() from None

    def encode_batch(
        self, events: Iterable[object]
    ) -> tuple[list[tuple[bytes, bytes, dict[str, bytes]]], list[EventProblem]]:
        """:meth:`encode_fields` of each event in one loop: the records of the valid events,
        in order, and a problem (with its index) for each invalid one. Without protection,
        a plain dict is serialized and keyed here, without a call per event for the rest."""
        encoded: list[tuple[bytes, bytes, dict[str, bytes]]] = []
        problems: list[EventProblem] = []
        append = encoded.append
        encode_fields = self.encode_fields
        plain = self._protection is None
        if self._protection is not None:
            events = list(events)
            self._protection.prepare(self._entity_keys(events))
        serialize, key_of = self._serializer.serialize, self.keys.key_of
        for index, event in enumerate(events):
            try:
                if plain and type(event) is dict:
                    value = serialize(event)  # first: it names problems best
                    append((key_of(event), value, {}))
                else:
                    append(encode_fields(event))
            except (SchemaInvalidEvent, InvalidKey) as exc:
                problems.append(problem_of(exc, index))
            except RecursionError:
                problems.append(problem_of(self._too_deep(), index))
        return encoded, problems

    def _entity_keys(self, events: list[object]) -> list[bytes]:
        """The keys of the events that have one (the others are refused while encoding)."""
        keys: list[bytes] = []
        key_of = self.keys.key_of
        for event in events:
            fields = event if type(event) is dict else event_fields(event)
            if fields is not None:
                with suppress(InvalidKey, RecursionError):  # encoding it names the problem
                    keys.append(key_of(fields))
        return keys

    def _hiding_ready(self) -> None:
        """Build the writer of :attr:`_hiding` once the protection knows one placeholder
        per field (tried once: a schema it does not cover stays on the other path)."""
        assert self._protection is not None  # only called with protection
        single = self._protection.single_placeholders()
        if single is None:
            return
        self._hiding_tried = True
        self._hiding = hiding = self._serializer.hiding_writer(single)
        self._hiding_plain = plain = all(kind in PLAIN_TYPES for kind, _ in single.values())
        if hiding is not None and self._accepts is not None:
            self._sealed_record = _sealed_record(
                self._accepts, self.keys.key_of, hiding, self._protection.sealed_headers, plain
            )

    def invalid(self, problems: list[EventProblem], events: int) -> InvalidEvent:
        """The error refusing ``events`` events for ``problems``."""
        return InvalidEvent(self.contract.reference, self._serializer.schema.name, problems, events)

    def _too_deep(self) -> SchemaInvalidEvent:
        """The problem of an event nested too deeply to be checked and written (its check
        and serialization recurse once per level: Python's stack ends near 1,000)."""
        return SchemaInvalidEvent(
            self._serializer.schema.name,
            "",
            "event.depth",
            "nests objects or arrays too deeply to be checked (keep it well under 1,000 levels)",
        )

    def _check(self, event: Mapping[str, Any]) -> None:
        """Raise the schema's ``InvalidEvent`` unless ``event`` is valid."""
        accepts = self._accepts
        if accepts is None or not accepts(event):
            self._format.validate(self._serializer.schema, event)


def _sealed_record(
    accepts: Callable[[object], bool],
    key_of: Callable[[Mapping[str, Any]], bytes],
    hiding: EncodeHiding,
    sealed_headers: Callable[[dict[str, Any], bytes, bool], tuple[Header, ...]],
    plain: bool,
) -> SealedRecord:
    """The record of a protected event in one function: checked as given, keyed, written
    with its placeholders as fixed bytes, its values sealed in one header."""

    def sealed_record(event: dict[str, Any]) -> tuple[bytes, bytes, tuple[Header, ...]] | None:
        if not accepts(event):
            return None  # the general path names the problem
        key = key_of(event)
        written = hiding(event)
        if written is None:
            return None  # a value of another type than the placeholders were chosen for
        value, values = written
        return key, value, sealed_headers(values, key, plain)

    return sealed_record


def problem_of(exc: SchemaInvalidEvent | InvalidKey, index: int | None) -> EventProblem:
    """A schema or key error as one problem of an ``InvalidEvent``."""
    return EventProblem(exc.path, exc.rule, exc.reason, index)
