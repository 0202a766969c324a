"""Protobuf payloads back into events (dicts of natural Python values).

Fields with implicit presence (proto3 scalars without ``optional``) always appear, with
their default when unset, as every proto3 reader sees them; fields with presence
(messages, ``optional`` and oneof members, proto2 fields) appear only when set. Repeated
fields are lists and maps dicts, even when empty. Enum values come back as their names, or
as the number when the reader's enum does not know it (proto3 enums are open).
"""

from __future__ import annotations

from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import DecodeError, Message

from streammesh.schemas.base import SchemaType
from streammesh.schemas.errors import UndecodablePayload
from streammesh.schemas.protobuf.schema import ProtobufSchema, is_map


def decode(schema: ProtobufSchema, payload: bytes) -> dict[str, Any]:
    """Decode ``payload`` as the record message of ``schema``.

    Raises:
        UndecodablePayload: when the bytes are not a valid encoding of that message.
    """
    try:
        message = schema.message_class.FromString(payload)
    except (DecodeError, ValueError, TypeError) as exc:
        raise UndecodablePayload(
            SchemaType.PROTOBUF.value, f"not a valid '{schema.name}' message: {exc}"
        ) from exc
    descriptor = schema.descriptor
    try:
        names = _FLAT[descriptor]
    except KeyError:
        names = _FLAT[descriptor] = _flat_names(descriptor)
    if names is not None:  # every field a plain scalar that always appears: read them as is
        return {name: getattr(message, name) for name in names}
    return to_dict(message, descriptor)


_FLAT: dict[Descriptor, tuple[str, ...] | None] = {}
"""Per message, its field names when ``_flat_names`` finds it flat, else ``None``."""


def _flat_names(descriptor: Descriptor) -> tuple[str, ...] | None:
    """The field names of a message whose fields are all singular, non-enum scalars without
    presence (most proto3 event records): :func:`to_dict` would return each one's value as it
    is. ``None`` for any other message."""
    for field in descriptor.fields:
        if (
            is_map(field)
            or field.is_repeated
            or field.message_type is not None
            or field.enum_type is not None
            or field.has_presence
        ):
            return None
    return tuple(field.name for field in descriptor.fields)


def to_dict(message: Message, descriptor: Descriptor) -> dict[str, Any]:
    """The event a message holds (see the module docstring for its shape)."""
    event: dict[str, Any] = {}
    for field in descriptor.fields:
        value = getattr(message, field.name)
        if is_map(field):
            entry = field.message_type
            assert entry is not None
            value_field = entry.fields_by_name["value"]
            event[field.name] = {k: _value(value_field, v) for k, v in value.items()}
        elif field.is_repeated:
            event[field.name] = [_value(field, item) for item in value]
        elif not field.has_presence or message.HasField(field.name):
            event[field.name] = _value(field, value)
    return event


def _value(field: FieldDescriptor, value: Any) -> Any:
    if field.message_type is not None:
        return to_dict(value, field.message_type)
    if field.enum_type is not None:
        known = field.enum_type.values_by_number.get(value)
        return known.name if known is not None else value
    return value
