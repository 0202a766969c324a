"""Errors of schema formats: invalid schemas, events that break a schema, bad payloads."""

from __future__ import annotations

from streammesh.errors import MeshError


class SchemaError(MeshError):
    """Base of every schema error."""


class InvalidSchema(SchemaError):
    """A schema text that cannot be parsed or breaks its format's rules."""

    def __init__(self, schema_type: str, location: str, reason: str) -> None:
        self.schema_type = schema_type
        self.location = location
        self.reason = reason
        where = f" at {location}" if location else ""
        super().__init__(f"invalid {schema_type} schema{where}: {reason}")


class UnresolvedReference(SchemaError):
    """A schema refers to another schema that was not supplied."""

    def __init__(self, schema_type: str, name: str) -> None:
        self.schema_type = schema_type
        self.name = name
        super().__init__(
            f"{schema_type} schema refers to '{name}', which is not among its references; "
            "register the referenced schema first and list it in the schema's references"
        )


class InvalidEvent(SchemaError):
    """An event that does not match its schema; ``path`` names the offending field."""

    def __init__(self, schema_name: str, path: str, rule: str, reason: str) -> None:
        self.schema_name = schema_name
        self.path = path
        self.rule = rule
        self.reason = reason
        at = f"field '{path}'" if path else "the event"
        super().__init__(
            f"event does not match schema '{schema_name}': {at} {reason} (rule: {rule})"
        )


class UndecodablePayload(SchemaError):
    """Bytes that cannot be decoded with the given schema."""

    def __init__(self, schema_type: str, reason: str) -> None:
        self.schema_type = schema_type
        self.reason = reason
        super().__init__(f"cannot decode {schema_type} payload: {reason}")
