"""Events (dicts of natural Python values) into protobuf messages, checking as it goes.

One walk both validates and builds, so ``validate`` and ``serialize`` can never disagree:
integers for every integer kind (range-checked), ``float`` (or ``int``) for float and
double, ``bool``, ``str``, ``bytes``, enum value names (or numbers, since proto3 enums are
open), dicts for messages and maps, lists for repeated fields. ``None`` means "not set".
The first problem met, in the event's key order, is raised as ``InvalidEvent``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, cast

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from streammesh.schemas.errors import InvalidEvent
from streammesh.schemas.protobuf.schema import ProtobufSchema, is_map, type_name

_FD = FieldDescriptor
_INT_RANGES: dict[int, tuple[int, int]] = {
    _FD.TYPE_INT32: (-(2**31), 2**31 - 1),
    _FD.TYPE_SINT32: (-(2**31), 2**31 - 1),
    _FD.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    _FD.TYPE_UINT32: (0, 2**32 - 1),
    _FD.TYPE_FIXED32: (0, 2**32 - 1),
    _FD.TYPE_INT64: (-(2**63), 2**63 - 1),
    _FD.TYPE_SINT64: (-(2**63), 2**63 - 1),
    _FD.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    _FD.TYPE_UINT64: (0, 2**64 - 1),
    _FD.TYPE_FIXED64: (0, 2**64 - 1),
}
_ENUM_RANGE = (-(2**31), 2**31 - 1)
_FLOAT32_MAX = 3.4028234663852886e38


def encode(schema: ProtobufSchema, event: object) -> Message:
    """Build the record message of ``schema`` from ``event``.

    Raises:
        InvalidEvent: naming the dotted field path (``legs[2].price``) and the rule.
    """
    descriptor = schema.descriptor
    try:
        plan = _PLANS[descriptor]
    except KeyError:
        plan = _PLANS[descriptor] = _flat_plan(descriptor)
    if plan is not None and type(event) is dict:
        message = schema.message_class()
        if _fill_flat(message, plan, event):
            return message
    # Anything the flat path does not take: the walk, which also names the problem.
    message = schema.message_class()
    _Walk(schema.name).fill(message, descriptor, event, "")
    return message


_STRING, _DOUBLE, _BOOL, _BYTES = "string", "double", "bool", "bytes"
_Kind = str | tuple[int, int]
"""What a flat field takes: one of the names above, or an integer range."""
_FLAT_KINDS = {
    _FD.TYPE_STRING: _STRING,
    _FD.TYPE_DOUBLE: _DOUBLE,
    _FD.TYPE_BOOL: _BOOL,
    _FD.TYPE_BYTES: _BYTES,
}
_PLANS: dict[Descriptor, dict[str, _Kind] | None] = {}
"""Per message, its flat plan (see ``_flat_plan``), or ``None`` when it has none."""


def _flat_plan(descriptor: Descriptor) -> dict[str, _Kind] | None:
    """Field name to what it takes, when every field of the message is a singular scalar
    outside any oneof (most event records): such events are checked and set without the
    walk's per-field dispatch. ``None`` for any other message."""
    plan: dict[str, _Kind] = {}
    for field in descriptor.fields:
        if (
            field.is_repeated
            or field.message_type is not None
            or field.containing_oneof is not None
            or field.is_required
        ):
            return None
        kind = _FLAT_KINDS.get(field.type) or _INT_RANGES.get(field.type)
        if kind is None:  # enums, float (32-bit range check): the walk
            return None
        plan[field.name] = kind
    return plan


def _fill_flat(message: Message, plan: dict[str, _Kind], event: dict[str, Any]) -> bool:
    """Set ``event``'s fields on ``message`` if each is exactly of its field's plain type
    (and in range); ``False`` at the first that is not, for the walk to explain or convert
    (subclasses, bytearray, non-ASCII text, ...). What it sets is what the walk would."""
    for name, value in event.items():
        kind = plan.get(name)
        if kind is None:
            return False
        if value is None:
            continue  # not set, as in the walk
        kind_of = type(value)
        if kind is _STRING:
            if kind_of is not str or not value.isascii():
                return False
        elif kind is _DOUBLE:
            if kind_of is int:
                value = float(value)
            elif kind_of is not float:
                return False
        elif kind is _BOOL:
            if kind_of is not bool:
                return False
        elif kind is _BYTES:
            if kind_of is not bytes:
                return False
        else:
            low, high = cast(tuple[int, int], kind)
            if kind_of is not int or not low <= value <= high:
                return False
        setattr(message, name, value)
    return True


def _describe(value: object) -> str:
    shown = repr(value)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return f"{shown} ({type(value).__name__})"


class _Walk:
    def __init__(self, schema_name: str) -> None:
        self._schema = schema_name

    def _fail(self, path: str, rule: str, reason: str) -> InvalidEvent:
        return InvalidEvent(self._schema, path, rule, reason)

    def fill(self, message: Message, descriptor: Descriptor, data: object, path: str) -> None:
        if not isinstance(data, Mapping):
            raise self._fail(
                path,
                "type",
                f"expected a dict for message '{descriptor.full_name}', got {_describe(data)}",
            )
        fields = descriptor.fields_by_name
        prefix = f"{path}." if path else ""
        oneofs: dict[str, str] = {}
        for key, value in data.items():
            field = fields.get(key) if isinstance(key, str) else None
            at = f"{prefix}{key}"
            if field is None:
                known = ", ".join(fields) or "none"
                raise self._fail(
                    at,
                    "unknown-field",
                    f"is not a field of message '{descriptor.full_name}' (its fields: {known})",
                )
            if value is None:
                continue
            oneof = field.containing_oneof
            if oneof is not None:
                if oneof.name in oneofs:
                    raise self._fail(
                        at,
                        "oneof",
                        f"cannot be set together with '{oneofs[oneof.name]}': both belong to "
                        f"oneof '{oneof.name}'; set only one",
                    )
                oneofs[oneof.name] = key
            self._set(message, field, value, at)
        for field in descriptor.fields:
            if field.is_required and data.get(field.name) is None:
                raise self._fail(f"{prefix}{field.name}", "required", "is required but missing")

    def _set(self, message: Message, field: FieldDescriptor, value: object, path: str) -> None:
        name = field.name
        if is_map(field):
            self._fill_map(getattr(message, name), field, value, path)
        elif field.is_repeated:
            if not isinstance(value, list | tuple):
                raise self._fail(
                    path, "type", f"expected a list for {type_name(field)}, got {_describe(value)}"
                )
            container = getattr(message, name)
            if field.message_type is not None:
                for index, item in enumerate(value):
                    self.fill(container.add(), field.message_type, item, f"{path}[{index}]")
            else:
                container.extend(
                    [
                        self.scalar(field, item, f"{path}[{index}]")
                        for index, item in enumerate(value)
                    ]
                )
        elif field.message_type is not None:
            child = getattr(message, name)
            child.SetInParent()  # an empty dict still sets the field
            self.fill(child, field.message_type, value, path)
        else:
            setattr(message, name, self.scalar(field, value, path))

    def _fill_map(self, container: Any, field: FieldDescriptor, value: object, path: str) -> None:
        if not isinstance(value, Mapping):
            raise self._fail(
                path, "type", f"expected a dict for {type_name(field)}, got {_describe(value)}"
            )
        entry = field.message_type
        assert entry is not None  # a map field is a repeated entry message
        key_field, value_field = entry.fields_by_name["key"], entry.fields_by_name["value"]
        for key, item in value.items():
            at = f"{path}[{key!r}]"
            checked_key = self.scalar(key_field, key, at, rule="map-key")
            if value_field.message_type is not None:
                self.fill(container[checked_key], value_field.message_type, item, at)
            else:
                container[checked_key] = self.scalar(value_field, item, at)

    def scalar(self, field: FieldDescriptor, value: object, path: str, rule: str = "type") -> Any:
        kind = field.type
        bounds = _INT_RANGES.get(kind)
        if bounds is not None:
            if isinstance(value, bool) or not isinstance(value, int):
                raise self._fail(
                    path, rule, f"expected an integer ({_SCALAR[kind]}), got {_describe(value)}"
                )
            if not bounds[0] <= value <= bounds[1]:
                raise self._fail(
                    path,
                    "range",
                    f"{value} is out of range for {_SCALAR[kind]} ({bounds[0]}..{bounds[1]})",
                )
            return value
        if kind in (_FD.TYPE_DOUBLE, _FD.TYPE_FLOAT):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self._fail(
                    path, rule, f"expected a {_SCALAR[kind]} (a number), got {_describe(value)}"
                )
            if kind == _FD.TYPE_FLOAT and math.isfinite(value) and abs(value) > _FLOAT32_MAX:
                raise self._fail(path, "range", f"{value} is too large for a float (32 bits)")
            return float(value)
        if kind == _FD.TYPE_BOOL:
            if not isinstance(value, bool):
                raise self._fail(path, rule, f"expected a bool, got {_describe(value)}")
            return value
        if kind == _FD.TYPE_STRING:
            if not isinstance(value, str):
                raise self._fail(path, rule, f"expected a string, got {_describe(value)}")
            if not value.isascii():
                try:
                    value.encode()
                except UnicodeEncodeError as exc:
                    raise self._fail(path, "utf-8", f"is not valid UTF-8 text: {exc}") from exc
            return value
        if kind == _FD.TYPE_BYTES:
            if not isinstance(value, bytes | bytearray):
                raise self._fail(path, rule, f"expected bytes, got {_describe(value)}")
            return bytes(value)
        return self._enum(field, value, path)

    def _enum(self, field: FieldDescriptor, value: object, path: str) -> int:
        enum = field.enum_type
        assert enum is not None  # every other kind was handled by scalar()
        if isinstance(value, str):
            found = enum.values_by_name.get(value)
            if found is None:
                allowed = ", ".join(enum.values_by_name)
                raise self._fail(
                    path,
                    "enum",
                    f"'{value}' is not a value of enum '{enum.full_name}' (allowed: {allowed})",
                )
            return found.number
        if isinstance(value, int) and not isinstance(value, bool):
            if enum.is_closed and value not in enum.values_by_number:
                raise self._fail(
                    path, "enum", f"{value} is not a number of closed enum '{enum.full_name}'"
                )
            if not _ENUM_RANGE[0] <= value <= _ENUM_RANGE[1]:
                raise self._fail(path, "range", f"{value} is out of range for an enum (int32)")
            return value
        raise self._fail(
            path,
            "type",
            f"expected a value name of enum '{enum.full_name}' (a str), got {_describe(value)}",
        )


_SCALAR: dict[int, str] = {
    _FD.TYPE_DOUBLE: "double",
    _FD.TYPE_FLOAT: "float",
    _FD.TYPE_INT64: "int64",
    _FD.TYPE_UINT64: "uint64",
    _FD.TYPE_INT32: "int32",
    _FD.TYPE_FIXED64: "fixed64",
    _FD.TYPE_FIXED32: "fixed32",
    _FD.TYPE_UINT32: "uint32",
    _FD.TYPE_SFIXED32: "sfixed32",
    _FD.TYPE_SFIXED64: "sfixed64",
    _FD.TYPE_SINT32: "sint32",
    _FD.TYPE_SINT64: "sint64",
}
