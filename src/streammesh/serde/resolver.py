"""Finding schemas by id and ids by schema, with caches so that serializing does no lookups."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from streammesh.registry import (
    SchemaNotFound,
    SchemaReference,
    SchemaRegistry,
    SchemaSubmission,
    SubjectNotFound,
)
from streammesh.schemas import ParsedSchema, format_for
from streammesh.serde.errors import UnregisteredSchema


class SchemaResolver(Protocol):
    """What the serializers need of a schema registry."""

    def schema_by_id(self, schema_id: int) -> ParsedSchema:
        """The parsed schema with this global id."""
        ...

    def latest(self, subject: str) -> tuple[int, ParsedSchema]:
        """The id and parsed schema of the subject's latest version."""
        ...

    def id_for(
        self,
        subject: str,
        schema: ParsedSchema,
        *,
        register: bool = False,
        references: Sequence[SchemaReference] = (),
    ) -> int:
        """The id of ``schema`` under ``subject``: looked up, or registered with ``register``.

        ``references`` says where the schemas in ``schema.references`` are registered.
        """
        ...


class RegistryResolver:
    """A :class:`SchemaResolver` over a :class:`SchemaRegistry`, caching what never changes.

    Ids are global and never reused, so a schema fetched by id is cached for good; so is the
    id of a (subject, fingerprint) pair once the registry has it. ``latest`` is not cached:
    it moves when a new version is registered.

    Example:
        >>> resolver = RegistryResolver(SqlSchemaRegistry(open_store(url)))  # doctest: +SKIP
        >>> schema_id, schema = resolver.latest("execution.stocktrades.v1-value")  # doctest: +SKIP
    """

    def __init__(self, registry: SchemaRegistry) -> None:
        """Args:
        registry: The registry to ask on a cache miss (in-process or behind HTTP).
        """
        self._registry = registry
        self._by_id: dict[int, ParsedSchema] = {}
        self._ids: dict[tuple[str, str], int] = {}

    def schema_by_id(self, schema_id: int) -> ParsedSchema:
        """The parsed schema with ``schema_id``, its references parsed too.

        Raises:
            SchemaNotFound: the registry has no schema with this id.
        """
        cached = self._by_id.get(schema_id)
        if cached is not None:
            return cached
        stored = self._registry.schema(schema_id)
        references = {
            reference.name: self.schema_by_id(
                self._registry.version(reference.subject, reference.version, deleted=True).id
            )
            for reference in stored.references
        }
        parsed = format_for(stored.schema_type).parse(stored.schema, references)
        self._by_id[schema_id] = parsed
        return parsed

    def latest(self, subject: str) -> tuple[int, ParsedSchema]:
        """The id and schema of the subject's latest version (``SubjectNotFound``)."""
        version = self._registry.version(subject, "latest")
        schema = self.schema_by_id(version.id)
        self._ids[(subject, schema.fingerprint)] = version.id
        return version.id, schema

    def id_for(
        self,
        subject: str,
        schema: ParsedSchema,
        *,
        register: bool = False,
        references: Sequence[SchemaReference] = (),
    ) -> int:
        """The id of ``schema`` under ``subject``, registering it first with ``register``.

        Raises:
            UnregisteredSchema: not registered under ``subject`` and ``register`` is false.
            IncompatibleSchema: ``register`` and the subject's compatibility level refuses it.
        """
        key = (subject, schema.fingerprint)
        cached = self._ids.get(key)
        if cached is not None:
            return cached
        submission = SchemaSubmission(
            schema=schema.text,
            schema_type=schema.schema_type,
            references=tuple(references),
        )
        if register:
            schema_id = self._registry.register(subject, submission).id
        else:
            try:
                schema_id = self._registry.lookup(subject, submission).id
            except (SubjectNotFound, SchemaNotFound) as exc:
                raise UnregisteredSchema(subject, schema.name) from exc
        self._ids[key] = schema_id
        self._by_id.setdefault(schema_id, schema)
        return schema_id
