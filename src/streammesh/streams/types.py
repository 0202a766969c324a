"""ksqlDB's SQL types: what a column, a literal or an expression holds.

``SqlType`` values are immutable and compare by value; :func:`type_text` writes one the way
ksqlDB prints it (``DECIMAL(10, 2)``, ``ARRAY<STRING>``, ``STRUCT<`A` INTEGER>``), which is how
messages name types.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class BaseType(StrEnum):
    """The type families ksqlDB knows (``INT`` and ``VARCHAR`` are spellings of these)."""

    BOOLEAN = "BOOLEAN"
    INTEGER = "INTEGER"
    BIGINT = "BIGINT"
    DOUBLE = "DOUBLE"
    DECIMAL = "DECIMAL"
    STRING = "STRING"
    BYTES = "BYTES"
    DATE = "DATE"
    TIME = "TIME"
    TIMESTAMP = "TIMESTAMP"
    ARRAY = "ARRAY"
    MAP = "MAP"
    STRUCT = "STRUCT"


@dataclass(frozen=True, slots=True)
class SqlType:
    """A primitive type (``BOOLEAN``, ``INTEGER``, ``BIGINT``, ``DOUBLE``, ``STRING``,
    ``BYTES``, ``DATE``, ``TIME``, ``TIMESTAMP``); the other families have their own classes."""

    base: BaseType

    def __str__(self) -> str:
        return type_text(self)


@dataclass(frozen=True, slots=True)
class DecimalType(SqlType):
    """``DECIMAL(precision, scale)``: ``precision`` digits, ``scale`` of them after the point."""

    precision: int = 10
    scale: int = 0


@dataclass(frozen=True, slots=True)
class ArrayType(SqlType):
    """``ARRAY<element>``."""

    element: SqlType = SqlType(BaseType.STRING)


@dataclass(frozen=True, slots=True)
class MapType(SqlType):
    """``MAP<key, value>`` (ksqlDB's map keys are strings, or any primitive since 0.27)."""

    key: SqlType = SqlType(BaseType.STRING)
    value: SqlType = SqlType(BaseType.STRING)


@dataclass(frozen=True, slots=True)
class StructField:
    """One field of a ``STRUCT``."""

    name: str
    type: SqlType


@dataclass(frozen=True, slots=True)
class StructType(SqlType):
    """``STRUCT<name type, ...>``; field order is kept."""

    fields: tuple[StructField, ...] = ()

    def field(self, name: str) -> StructField | None:
        """The field called ``name`` (exactly), or ``None``."""
        return next((item for item in self.fields if item.name == name), None)


BOOLEAN = SqlType(BaseType.BOOLEAN)
INTEGER = SqlType(BaseType.INTEGER)
BIGINT = SqlType(BaseType.BIGINT)
DOUBLE = SqlType(BaseType.DOUBLE)
STRING = SqlType(BaseType.STRING)
BYTES = SqlType(BaseType.BYTES)
DATE = SqlType(BaseType.DATE)
TIME = SqlType(BaseType.TIME)
TIMESTAMP = SqlType(BaseType.TIMESTAMP)


def decimal(precision: int, scale: int) -> DecimalType:
    """``DECIMAL(precision, scale)``."""
    return DecimalType(BaseType.DECIMAL, precision, scale)


def array(element: SqlType) -> ArrayType:
    """``ARRAY<element>``."""
    return ArrayType(BaseType.ARRAY, element)


def map_of(key: SqlType, value: SqlType) -> MapType:
    """``MAP<key, value>``."""
    return MapType(BaseType.MAP, key, value)


def struct(*fields: tuple[str, SqlType]) -> StructType:
    """``STRUCT<name type, ...>`` from ``(name, type)`` pairs."""
    return StructType(BaseType.STRUCT, tuple(StructField(name, kind) for name, kind in fields))


def type_text(kind: SqlType) -> str:
    """The type as ksqlDB writes it, e.g. ``MAP<STRING, ARRAY<DECIMAL(4, 2)>>``."""
    if isinstance(kind, DecimalType):
        return f"DECIMAL({kind.precision}, {kind.scale})"
    if isinstance(kind, ArrayType):
        return f"ARRAY<{type_text(kind.element)}>"
    if isinstance(kind, MapType):
        return f"MAP<{type_text(kind.key)}, {type_text(kind.value)}>"
    if isinstance(kind, StructType):
        inner = ", ".join(f"`{item.name}` {type_text(item.type)}" for item in kind.fields)
        return f"STRUCT<{inner}>"
    return kind.base.value


NUMERIC = frozenset({BaseType.INTEGER, BaseType.BIGINT, BaseType.DECIMAL, BaseType.DOUBLE})
"""The numeric families, in ksqlDB's widening order INTEGER < BIGINT < DECIMAL < DOUBLE."""
