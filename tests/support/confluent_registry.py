"""``InProcessRegistryClient``: confluent-kafka's serializers over the in-process registry.

confluent-kafka's ``AvroSerializer``, ``JSONSerializer``, ``ProtobufSerializer`` and their
deserializers talk to a ``SchemaRegistryClient``; this class implements the methods they call
(``register_schema``, ``register_schema_full_response``, ``lookup_schema``, ``get_schema``,
``get_version``, ``get_latest_version``, ``get_associations_by_resource_name``, ``config``,
``close``) by delegating to a streammesh
``SchemaRegistry``, so their interoperability with streammesh's serializers is testable
without the REST server. The REST path (the unchanged ``SchemaRegistryClient`` against
``streammesh up``) is covered by ``tests/integration/test_registry_api.py``.

Like the real client, it caches schemas by id, so a deserializer's per-message lookup is a
dictionary hit. ``fmt="serialized"`` (what the Protobuf serdes ask for) returns the schema as
a base64 ``FileDescriptorProto``, as Confluent's registry does.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from confluent_kafka.schema_registry import RegisteredSchema, Schema, SchemaReference
from confluent_kafka.schema_registry.error import SchemaRegistryError

from streammesh.registry import errors as registry_errors
from streammesh.registry.base import (
    SchemaReference as MeshReference,
)
from streammesh.registry.base import (
    SchemaRegistry,
    SchemaSubmission,
    SubjectVersion,
)
from streammesh.schemas.base import SchemaType
from streammesh.schemas.formats import format_for
from streammesh.schemas.protobuf.schema import ProtobufSchema

_ERROR_CODES: dict[type[Exception], tuple[int, int]] = {
    registry_errors.SubjectNotFound: (404, 40401),
    registry_errors.VersionNotFound: (404, 40402),
    registry_errors.SchemaNotFound: (404, 40403),
    registry_errors.IncompatibleSchema: (409, 409),
    registry_errors.InvalidSchemaSubmission: (422, 42201),
}


class InProcessRegistryClient:
    """The part of ``SchemaRegistryClient`` that confluent-kafka's serdes use."""

    def __init__(self, registry: SchemaRegistry) -> None:
        self._registry = registry
        self._by_id: dict[tuple[int, str | None], Schema] = {}

    def config(self) -> dict[str, Any]:
        return {}

    def close(self) -> None:
        pass

    def get_associations_by_resource_name(
        self, resource_name: str, *args: Any, **kwargs: Any
    ) -> list[Any]:
        # streammesh has no topic-subject associations; 404 is what makes confluent-kafka's
        # default (associated) subject name strategy fall back to <topic>-value.
        raise SchemaRegistryError(404, 40401, f"no subject associations for '{resource_name}'")

    def register_schema(
        self, subject_name: str, schema: Schema, normalize_schemas: bool = False
    ) -> int:
        registered = self.register_schema_full_response(subject_name, schema, normalize_schemas)
        return int(registered.schema_id or 0)

    def register_schema_full_response(
        self, subject_name: str, schema: Schema, normalize_schemas: bool = False
    ) -> RegisteredSchema:
        with _translated():
            version = self._registry.register(
                subject_name, _submission(schema), normalize=normalize_schemas
            )
        return _registered(version, None)

    def lookup_schema(
        self,
        subject_name: str,
        schema: Schema,
        normalize_schemas: bool = False,
        fmt: str | None = None,
        deleted: bool = False,
    ) -> RegisteredSchema:
        with _translated():
            version = self._registry.lookup(
                subject_name, _submission(schema), normalize=normalize_schemas, deleted=deleted
            )
        return _registered(version, fmt)

    def get_schema(
        self,
        schema_id: int,
        subject_name: str | None = None,
        fmt: str | None = None,
        reference_format: str | None = None,
    ) -> Schema:
        cached = self._by_id.get((schema_id, fmt))
        if cached is not None:
            return cached
        with _translated():
            stored = self._registry.schema(schema_id)
        schema = Schema(
            _text(stored.schema_type, stored.schema, fmt),
            stored.schema_type.value,
            [SchemaReference(r.name, r.subject, r.version) for r in stored.references],
        )
        self._by_id[(schema_id, fmt)] = schema
        return schema

    def get_latest_version(self, subject_name: str, fmt: str | None = None) -> RegisteredSchema:
        return self.get_version(subject_name, "latest", False, fmt)

    def get_version(
        self,
        subject_name: str,
        version: int | str = "latest",
        deleted: bool = False,
        fmt: str | None = None,
    ) -> RegisteredSchema:
        selector: int | Any = version if isinstance(version, int) and version > 0 else "latest"
        with _translated():
            found = self._registry.version(subject_name, selector, deleted=deleted)
        return _registered(found, fmt)


def _submission(schema: Schema) -> SchemaSubmission:
    return SchemaSubmission(
        schema=schema.schema_str or "",
        schema_type=SchemaType(schema.schema_type or "AVRO"),
        references=tuple(
            MeshReference(str(r.name), str(r.subject), int(r.version or 0))
            for r in schema.references or ()
        ),
    )


def _registered(version: SubjectVersion, fmt: str | None) -> RegisteredSchema:
    return RegisteredSchema(
        subject=version.subject,
        version=version.version,
        schema_id=version.id,
        guid=None,
        schema=Schema(
            _text(version.schema_type, version.schema, fmt),
            version.schema_type.value,
            [SchemaReference(r.name, r.subject, r.version) for r in version.references],
        ),
    )


def _text(schema_type: SchemaType, text: str, fmt: str | None) -> str:
    if schema_type is not SchemaType.PROTOBUF or fmt != "serialized":
        return text
    parsed = format_for(SchemaType.PROTOBUF).parse(text)
    assert isinstance(parsed, ProtobufSchema)
    return base64.standard_b64encode(parsed.file.SerializeToString()).decode("ascii")


@contextmanager
def _translated() -> Iterator[None]:
    """Registry errors as the ``SchemaRegistryError`` the REST client would raise."""
    try:
        yield
    except registry_errors.RegistryError as error:
        status, code = _ERROR_CODES.get(type(error), (500, 50001))
        raise SchemaRegistryError(status, code, str(error)) from error
