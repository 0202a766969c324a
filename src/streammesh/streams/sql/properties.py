"""The ``WITH (name = literal, ...)`` clause of ``CREATE`` and ``INSERT INTO``: which
properties exist, what kind of value each takes, and the checks ksqlDB makes on them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from streammesh.streams import expressions as ex
from streammesh.streams.sql.source import SourceText
from streammesh.streams.sql.statements import SourceProperties

FORMATS = frozenset(
    {"JSON", "JSON_SR", "AVRO", "PROTOBUF", "PROTOBUF_NOSR", "DELIMITED", "KAFKA", "NONE"}
)
"""ksqlDB's key and value formats."""


class _Kind(Enum):
    TEXT = "a string"
    FORMAT = "a format"
    COLUMN = "a column name"
    INTEGER = "an integer"
    BOOLEAN = "a boolean"


_PROPERTIES: dict[str, tuple[str, _Kind]] = {
    "KAFKA_TOPIC": ("kafka_topic", _Kind.TEXT),
    "VALUE_FORMAT": ("value_format", _Kind.FORMAT),
    "KEY_FORMAT": ("key_format", _Kind.FORMAT),
    "FORMAT": ("format", _Kind.FORMAT),
    "PARTITIONS": ("partitions", _Kind.INTEGER),
    "REPLICAS": ("replicas", _Kind.INTEGER),
    "TIMESTAMP": ("timestamp", _Kind.COLUMN),
    "TIMESTAMP_FORMAT": ("timestamp_format", _Kind.TEXT),
    "VALUE_DELIMITER": ("value_delimiter", _Kind.TEXT),
    "KEY_DELIMITER": ("key_delimiter", _Kind.TEXT),
    "WRAP_SINGLE_VALUE": ("wrap_single_value", _Kind.BOOLEAN),
    "RETENTION_MS": ("retention_ms", _Kind.INTEGER),
    "PRODUCT": ("product", _Kind.TEXT),
    "QUERY_ID": ("query_id", _Kind.TEXT),
}

# ksqlDB properties streammesh does not honour yet: refused by name rather than ignored.
_NOT_SUPPORTED = frozenset(
    {
        "KEY_SCHEMA_ID",
        "VALUE_SCHEMA_ID",
        "KEY_SCHEMA_FULL_NAME",
        "VALUE_SCHEMA_FULL_NAME",
        "VALUE_AVRO_SCHEMA_FULL_NAME",
        "WINDOW_TYPE",
        "WINDOW_SIZE",
        "KEY_PROTOBUF_NULLABLE_REPRESENTATION",
        "VALUE_PROTOBUF_NULLABLE_REPRESENTATION",
        "CLEANUP_POLICY",
        "SOURCED_BY_CONNECTOR",
    }
)


@dataclass(frozen=True, slots=True)
class PropertyValue:
    """One ``name = literal`` as written; ``offset`` is where its name starts."""

    name: str
    value: ex.Literal
    offset: int


def _column_name(text: str) -> str:
    # ksqlDB reads the TIMESTAMP property as an identifier: 'ts' is TS, '`ts`' is ts.
    if len(text) >= 2 and text[0] == text[-1] == "`":
        return text[1:-1].replace("``", "`")
    return text.upper()


def _convert(item: PropertyValue, kind: _Kind, source: SourceText) -> str | int | bool:
    value = item.value.value
    if kind is _Kind.INTEGER:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
    elif kind is _Kind.BOOLEAN:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
    elif isinstance(value, str):
        if kind is _Kind.FORMAT:
            if value.upper() not in FORMATS:
                known = ", ".join(sorted(FORMATS))
                raise source.invalid_property(
                    item.offset, item.name, f"names an unknown format '{value}' (known: {known})"
                )
            return value.upper()
        return _column_name(value) if kind is _Kind.COLUMN else value
    raise source.invalid_property(item.offset, item.name, f"must be {kind.value}")


def source_properties(items: list[PropertyValue], source: SourceText) -> SourceProperties:
    """The ``SourceProperties`` of a ``WITH`` clause.

    Raises:
        InvalidSqlProperty: an unknown or unsupported property, one given twice, a value of
            the wrong kind, an unknown format, or ``FORMAT`` together with ``KEY_FORMAT`` or
            ``VALUE_FORMAT``.
    """
    values: dict[str, str | int | bool] = {}
    seen: dict[str, PropertyValue] = {}
    for item in items:
        if item.name in seen:
            raise source.invalid_property(item.offset, item.name, "is given twice")
        seen[item.name] = item
        if item.name in _NOT_SUPPORTED:
            raise source.invalid_property(item.offset, item.name, "is not supported")
        spec = _PROPERTIES.get(item.name)
        if spec is None:
            known = ", ".join(sorted(_PROPERTIES))
            raise source.invalid_property(
                item.offset, item.name, f"is not a known property (known: {known})"
            )
        attribute, kind = spec
        values[attribute] = _convert(item, kind, source)
    if "FORMAT" in seen:
        for other in ("KEY_FORMAT", "VALUE_FORMAT"):
            if other in seen:
                raise source.invalid_property(
                    seen[other].offset, other, "cannot be given together with 'FORMAT'"
                )
    return SourceProperties(**values)  # type: ignore[arg-type]
