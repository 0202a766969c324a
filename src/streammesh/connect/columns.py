"""SQL columns → Avro schemas, and column values → the Python values fastavro writes.

Sources that read tables (change data capture, polling, table sinks reading back) describe
each column as a :class:`Column` and derive the product's value schema with
:func:`record_schema`; each value goes through :func:`to_avro_value` before it becomes an
event field.

The mapping, for PostgreSQL (type names as ``pg_type.typname`` spells them, or their SQL
aliases, or builtin OIDs) and SQLite (declared types, by SQLite's affinity rules):

============================================  ==============================================
SQL                                           Avro
============================================  ==============================================
int2, int4 (smallint, integer)                int
int8, oid (bigint)                            long
numeric(p, s) / decimal(p, s)                 bytes, logicalType decimal, precision p, scale s
numeric without precision                     string, ``connect.type: numeric`` (exact text)
float4 (real)                                 float
float8 (double precision)                     double
bool                                          boolean
text, varchar(n), char(n), name               string
bytea                                         bytes
date                                          int, logicalType date
time                                          long, logicalType time-micros
timestamp, timestamptz                        long, logicalType timestamp-micros (UTC)
uuid                                          string, logicalType uuid
json, jsonb                                   string, ``connect.type: json``
arrays (``_int4``, ``integer[]``)             array of the element type (elements nullable)
enums and every other type                    string (the type's text form),
                                              ``connect.type: <type name>``
============================================  ==============================================

Timestamps are microseconds because PostgreSQL keeps microseconds: millis would lose what
the database holds. A ``timestamp`` without time zone is read as UTC (Debezium does the
same). A nullable column is ``["null", T]`` with default ``null``; a primary-key column is
required (``T``) even when the database does not say ``NOT NULL``.
"""

from __future__ import annotations

import datetime
import decimal
import json
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from streammesh.connect.errors import ConnectError

__all__ = [
    "POSTGRES_TYPE_OIDS",
    "Column",
    "ColumnConversionError",
    "Dialect",
    "avro_type",
    "field_schema",
    "fit_schema",
    "postgres_type_name",
    "record_name",
    "record_schema",
    "row_converter",
    "to_avro_value",
    "value_converter",
]

Dialect = Literal["postgres", "sqlite"]

JSON_PROPERTY = "connect.type"
"""The Avro property marking a string that holds JSON (``"json"``) or another SQL type's text."""

POSTGRES_TYPE_OIDS: Mapping[int, str] = {
    16: "bool",
    17: "bytea",
    18: "char",
    19: "name",
    20: "int8",
    21: "int2",
    23: "int4",
    25: "text",
    26: "oid",
    114: "json",
    142: "xml",
    700: "float4",
    701: "float8",
    790: "money",
    1042: "bpchar",
    1043: "varchar",
    1082: "date",
    1083: "time",
    1114: "timestamp",
    1184: "timestamptz",
    1186: "interval",
    1266: "timetz",
    1700: "numeric",
    2950: "uuid",
    3802: "jsonb",
    199: "_json",
    1000: "_bool",
    1001: "_bytea",
    1005: "_int2",
    1007: "_int4",
    1009: "_text",
    1014: "_bpchar",
    1015: "_varchar",
    1016: "_int8",
    1021: "_float4",
    1022: "_float8",
    1115: "_timestamp",
    1182: "_date",
    1183: "_time",
    1185: "_timestamptz",
    1231: "_numeric",
    2951: "_uuid",
    3807: "_jsonb",
}
"""Builtin PostgreSQL type OIDs (stable across versions) → ``pg_type.typname``."""

_POSTGRES_ALIASES: Mapping[str, str] = {
    "smallint": "int2",
    "integer": "int4",
    "int": "int4",
    "bigint": "int8",
    "smallserial": "int2",
    "serial": "int4",
    "bigserial": "int8",
    "real": "float4",
    "double precision": "float8",
    "boolean": "bool",
    "decimal": "numeric",
    "character varying": "varchar",
    "character": "bpchar",
    "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamptz",
    "time without time zone": "time",
    "time with time zone": "timetz",
}

_PRIMITIVES: Mapping[str, Any] = {
    "int2": "int",
    "int4": "int",
    "int8": "long",
    "oid": "long",
    "float4": "float",
    "float8": "double",
    "bool": "boolean",
    "text": "string",
    "varchar": "string",
    "bpchar": "string",
    "char": "string",
    "name": "string",
    "bytea": "bytes",
    "date": {"type": "int", "logicalType": "date"},
    "time": {"type": "long", "logicalType": "time-micros"},
    "timestamp": {"type": "long", "logicalType": "timestamp-micros"},
    "timestamptz": {"type": "long", "logicalType": "timestamp-micros"},
    "uuid": {"type": "string", "logicalType": "uuid"},
    "json": {"type": "string", JSON_PROPERTY: "json"},
    "jsonb": {"type": "string", JSON_PROPERTY: "json"},
}


class ColumnConversionError(ConnectError):
    """A column's value cannot become the Avro value its schema asks for.

    Attributes:
        column: The column's name.
        sql_type: Its SQL type.
        reason: Why (the value's form, the range it breaks).
    """

    def __init__(self, column: str, sql_type: str, reason: str) -> None:
        self.column = column
        self.sql_type = sql_type
        self.reason = reason
        super().__init__(f"column '{column}' ({sql_type}): {reason}")


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a table, as a source sees it.

    Attributes:
        name: The column's name.
        sql_type: The type: for PostgreSQL ``pg_type.typname`` (``int4``, ``numeric``,
            ``_int4`` for an array of int4, an enum's own name); for SQLite the declared type
            as written (``VARCHAR(20)``, ``DECIMAL(10,2)``, ``""``).
        dialect: Which database's rules apply.
        nullable: Whether the column may hold NULL.
        primary_key: Whether it is (part of) the primary key; such a column is required.
        precision: A decimal's precision (``numeric(10,2)`` → 10), else ``None``.
        scale: A decimal's scale (``numeric(10,2)`` → 2), else ``None``.
    """

    name: str
    sql_type: str
    dialect: Dialect = "postgres"
    nullable: bool = True
    primary_key: bool = False
    precision: int | None = None
    scale: int | None = None

    @classmethod
    def postgres(
        cls,
        name: str,
        sql_type: str | int,
        *,
        type_modifier: int = -1,
        nullable: bool = True,
        primary_key: bool = False,
    ) -> Column:
        """A PostgreSQL column from a type name (``numeric(10,2)``, ``character varying``,
        ``integer[]``, ``int4``) or a builtin OID, and ``atttypmod`` (-1: none), as
        ``pg_attribute`` and the replication protocol's Relation message give it."""
        type_name = postgres_type_name(sql_type) if isinstance(sql_type, int) else sql_type
        normalised, precision, scale = _normalise_postgres(type_name)
        base = normalised.removeprefix("_")
        if base == "numeric" and precision is None and type_modifier >= 4:
            modifier = type_modifier - 4
            precision, scale = (modifier >> 16) & 0xFFFF, modifier & 0xFFFF
        return cls(name, normalised, "postgres", nullable, primary_key, precision, scale)

    @classmethod
    def sqlite(
        cls, name: str, declared: str, *, nullable: bool = True, primary_key: bool = False
    ) -> Column:
        """A SQLite column from its declared type (``PRAGMA table_info``'s ``type``)."""
        match = re.search(r"\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)", declared)
        precision = scale = None
        if match and re.search(r"DEC|NUMERIC", declared, re.IGNORECASE):
            precision = int(match.group(1))
            scale = int(match.group(2) or 0)
        return cls(name, declared, "sqlite", nullable, primary_key, precision, scale)

    @property
    def required(self) -> bool:
        """Whether the field has no null branch (not nullable, or part of the primary key)."""
        return self.primary_key or not self.nullable


def postgres_type_name(oid: int) -> str:
    """The ``typname`` of a builtin PostgreSQL type OID; an unknown OID → ``"unknown"``
    (a string column: the source resolves user types such as enums through the catalog)."""
    return POSTGRES_TYPE_OIDS.get(oid, "unknown")


def _normalise_postgres(type_name: str) -> tuple[str, int | None, int | None]:
    lowered = type_name.strip().lower().strip('"')
    array = lowered.endswith("[]")
    if array:
        lowered = lowered[:-2].strip()
    match = re.search(r"\(([^)]*)\)", lowered)
    modifier = match.group(1) if match else None
    # `timestamp(3) with time zone`: the modifier may sit inside the name.
    base = re.sub(r"\s+", " ", re.sub(r"\s*\([^)]*\)", "", lowered)).strip()
    base = _POSTGRES_ALIASES.get(base, base)
    precision = scale = None
    if base == "numeric" and modifier:
        parts = [part.strip() for part in modifier.split(",")]
        precision, scale = int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
    return ("_" + base if array else base), precision, scale


def _sqlite_kind(column: Column) -> str:
    """The PostgreSQL-like kind a SQLite declared type maps to (affinity rules, plus the
    names that announce a logical type: DECIMAL(p,s), BOOLEAN, DATE, DATETIME, UUID, JSON)."""
    declared = column.sql_type.upper()
    if "INT" in declared:
        return "int8"
    if "UUID" in declared:
        return "uuid"
    if "JSON" in declared:
        return "json"
    if any(word in declared for word in ("CHAR", "CLOB", "TEXT")):
        return "text"
    if "BLOB" in declared:
        return "bytea"
    if declared == "":
        return "text"
    if any(word in declared for word in ("REAL", "FLOA", "DOUB")):
        return "float8"
    if "BOOL" in declared:
        return "bool"
    if "DATETIME" in declared or "TIMESTAMP" in declared:
        return "timestamp"
    if "DATE" in declared:
        return "date"
    if "TIME" in declared:
        return "time"
    if column.precision is not None:
        return "numeric"
    return "float8"  # NUMERIC affinity: SQLite keeps such values as INTEGER or REAL.


def _kind(column: Column) -> str:
    return _sqlite_kind(column) if column.dialect == "sqlite" else column.sql_type


def _base_type(column: Column, kind: str) -> Any:
    if kind in _PRIMITIVES:
        schema = _PRIMITIVES[kind]
        return dict(schema) if isinstance(schema, dict) else schema
    if kind == "numeric":
        if column.precision is None:
            return {"type": "string", JSON_PROPERTY: "numeric"}
        return {
            "type": "bytes",
            "logicalType": "decimal",
            "precision": column.precision,
            "scale": column.scale or 0,
        }
    if kind.startswith("_"):
        return {"type": "array", "items": ["null", _base_type(column, kind[1:])]}
    return {"type": "string", JSON_PROPERTY: kind}


def avro_type(column: Column) -> Any:
    """The column's Avro type, without the null branch (see the module's table)."""
    return _base_type(column, _kind(column))


def field_schema(column: Column) -> dict[str, Any]:
    """The Avro record field of a column: ``["null", T]`` with default ``null`` when it may
    be null, ``T`` when it is required."""
    base = avro_type(column)
    if column.required:
        return {"name": column.name, "type": base}
    return {"name": column.name, "type": ["null", base], "default": None}


def record_name(table: str) -> str:
    """An Avro record name from a table name (``public.order items`` → ``order_items``)."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", table.rsplit(".", 1)[-1])
    return name if re.match(r"[A-Za-z_]", name) else f"_{name}"


def record_schema(
    table: str, columns: Sequence[Column], namespace: str | None = None
) -> dict[str, Any]:
    """The Avro record schema of a table's rows: named after the table (without its schema),
    one field per column in table order."""
    schema: dict[str, Any] = {"type": "record", "name": record_name(table)}
    if namespace:
        schema["namespace"] = namespace
    schema["fields"] = [field_schema(column) for column in columns]
    return schema


_INTERCHANGEABLE_LOGICAL = (
    frozenset(("timestamp-millis", "timestamp-micros")),
    frozenset(("time-millis", "time-micros")),
)
"""Logical types whose Python values are the same (a datetime, a time) at either precision."""


def fit_schema(derived: Any, current: Any) -> Any:
    """A schema derived from a table, fitted to the product's current Avro schema.

    Where the two describe the same data, the product's own spelling is kept, so a source
    writing into an existing product does not rename its record or turn its enums into
    strings (which its compatibility rule would refuse):

    * a record takes the product's name, namespace, doc and properties, and keeps the
      product's field order (new columns follow, in table order); a field keeps its doc,
      default and aliases when its type is kept;
    * a string column (text, varchar, a PostgreSQL enum's text) where the product has an
      enum becomes that enum (a value outside its symbols is refused per event, to the
      dead letters);
    * the same Avro type differing only in properties (``connect.type``) or in a logical
      type whose values are the same (timestamp-millis/-micros, time-millis/-micros, a
      uuid string into a plain string) takes the product's;
    * unions of the same branches fit branch by branch.

    Everything else stays as derived, for the product's compatibility rule to judge.

    Args:
        derived: The schema the source derived (parsed JSON).
        current: The product's current value schema (parsed JSON).

    Returns:
        The fitted schema; equal to ``current`` when the table holds what the product does.
    """
    if isinstance(derived, list) and isinstance(current, list):
        if len(derived) != len(current):
            return derived
        return [fit_schema(mine, theirs) for mine, theirs in zip(derived, current, strict=True)]
    mine, theirs = _type_name(derived), _type_name(current)
    if mine == "record" and theirs == "record":
        return _fit_record(derived, current)
    if mine == "string" and theirs == "enum" and _logical(derived) in (None, "uuid"):
        return current
    if mine is None or mine != theirs or mine in ("record", "enum", "fixed", "array", "map"):
        if mine == theirs == "array":
            fitted = fit_schema(derived["items"], current["items"])
            return {**derived, "items": fitted} if fitted != current["items"] else current
        return derived
    if isinstance(derived, str) and not isinstance(current, dict):
        return current  # a named-type reference, or the same primitive
    d_logical, c_logical = _logical(derived), _logical(current)
    same = d_logical == c_logical or any(
        {d_logical, c_logical} <= group for group in _INTERCHANGEABLE_LOGICAL
    )
    if same or (c_logical is None and d_logical == "uuid"):
        if d_logical == "decimal" and derived != current:
            return derived  # precision and scale matter to the values
        return current
    return derived


def _type_name(schema: Any) -> str | None:
    if isinstance(schema, str):
        return schema
    if isinstance(schema, dict) and isinstance(schema.get("type"), str):
        return str(schema["type"])
    return None


def _logical(schema: Any) -> str | None:
    return schema.get("logicalType") if isinstance(schema, dict) else None


def _fit_record(derived: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    theirs = {
        field["name"]: field
        for field in current.get("fields", [])
        if isinstance(field, dict) and "name" in field
    }
    fitted: dict[str, dict[str, Any]] = {}
    for field in derived.get("fields", []):
        known = theirs.get(field["name"])
        if known is None:
            fitted[field["name"]] = field
            continue
        field_type = fit_schema(field["type"], known["type"])
        if field_type == known["type"]:
            fitted[field["name"]] = known
        else:
            kept = {name: known[name] for name in ("doc", "aliases") if name in known}
            fitted[field["name"]] = {**field, **kept, "type": field_type}
    ordered = [fitted.pop(name) for name in theirs if name in fitted]
    return {
        **{name: value for name, value in current.items() if name != "fields"},
        "fields": ordered + list(fitted.values()),
    }


def to_avro_value(value: Any, column: Column) -> Any:
    """A column's value (a driver's Python value, or its PostgreSQL text form as logical
    replication delivers it) as the Python value fastavro writes for the column's Avro type.

    Raises:
        ColumnConversionError: The value does not fit (text that is no number, a date
            PostgreSQL writes as ``infinity``, a decimal with more digits than its precision).
    """
    if value is None:
        return None
    try:
        return _convert(value, column, _kind(column))
    except ColumnConversionError:
        raise
    except (ValueError, TypeError, ArithmeticError, json.JSONDecodeError) as exc:
        shown = repr(value)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        raise ColumnConversionError(
            column.name, column.sql_type, f"cannot convert {shown}: {exc}"
        ) from exc


def row_converter(columns: Sequence[Column]) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """A function converting whole rows (column name → value) as :func:`to_avro_value`
    converts each value; built once per table layout, it resolves each column's conversion
    up front (what a change data capture source does for every row).

    The function raises :class:`ColumnConversionError` naming the first column that does not
    convert; a column missing from the row is ``None``.
    """
    names = [column.name for column in columns]
    # Text columns keep the replication's text as it is: only the others are converted.
    plan = [
        (column.name, _fast_converter(column))
        for column in columns
        if _kind(column) not in _TEXT_KINDS
    ]
    texts = [column.name for column in columns if _kind(column) in _TEXT_KINDS]

    def convert(values: Mapping[str, Any]) -> dict[str, Any]:
        row = {name: values.get(name) for name in names}
        try:
            for name in texts:
                value = row[name]
                if value is not None and type(value) is not str:
                    row[name] = str(value)
            for name, to_value in plan:
                value = row[name]
                if value is not None:
                    row[name] = to_value(value)
        except (ValueError, TypeError, ArithmeticError):
            for column in columns:  # the slow path names the column
                to_avro_value(values.get(column.name), column)
            raise
        return row

    return convert


_TEXT_KINDS = frozenset(("text", "varchar", "bpchar", "char", "name"))


def value_converter(column: Column) -> Callable[[Any], Any] | None:
    """The conversion :func:`row_converter` applies to one column's non-null values, or
    ``None`` for a text column (its text is kept as it is); for sources that compile their
    own row functions. The conversion raises ``ValueError``, ``TypeError`` or
    ``ArithmeticError`` where :func:`to_avro_value` raises :class:`ColumnConversionError`."""
    return None if _kind(column) in _TEXT_KINDS else _fast_converter(column)


def _fast_converter(column: Column) -> Callable[[Any], Any]:
    """The conversion of one column, specialised for the text values replication sends."""
    kind = _kind(column)

    def general(value: Any) -> Any:
        return _convert(value, column, kind)

    if kind in ("int2", "int4", "int8", "oid"):
        return lambda value: int(value) if type(value) is str else general(value)
    if kind in ("float4", "float8"):
        return lambda value: float(value) if type(value) is str else general(value)
    if kind in ("text", "varchar", "bpchar", "char", "name"):
        return lambda value: value if type(value) is str else general(value)
    if kind in ("timestamp", "timestamptz"):
        return _timestamp
    if kind == "numeric" and column.precision is not None:
        quantum = decimal.Decimal(1).scaleb(-(column.scale or 0))
        precision = column.precision

        def to_decimal(value: Any) -> Any:
            if type(value) is not str:
                return general(value)
            number = decimal.Decimal(value).quantize(quantum)
            if not number.is_finite() or len(number.as_tuple().digits) > precision:
                return general(value)  # raises with the reason
            return number

        return to_decimal
    return general


def _convert(value: Any, column: Column, kind: str) -> Any:
    if value is None:
        return None
    if kind in ("int2", "int4", "int8", "oid"):
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, float):
            if not value.is_integer():
                raise ValueError("not a whole number")
            return int(value)
        return int(value)
    if kind in ("float4", "float8"):
        return float(value)
    if kind == "bool":
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in ("t", "true", "1", "yes", "y", "on"):
                return True
            if lowered in ("f", "false", "0", "no", "n", "off"):
                return False
            raise ValueError("not a boolean")
        return bool(value)
    if kind == "bytea":
        if isinstance(value, str):
            if value.startswith("\\x"):
                return bytes.fromhex(value[2:])
            return value.encode()
        return bytes(value)
    if kind == "numeric":
        number = decimal.Decimal(str(value))
        if not number.is_finite():
            raise ValueError("not a finite number")
        if column.precision is None:
            return str(number)
        scale = column.scale or 0
        quantized = number.quantize(decimal.Decimal(1).scaleb(-scale))
        if len(quantized.as_tuple().digits) > column.precision and quantized != 0:
            raise ValueError(f"more than {column.precision} digits")
        return quantized
    if kind == "date":
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        return datetime.date.fromisoformat(str(value).strip())
    if kind == "time":
        if isinstance(value, datetime.time):
            return value
        if isinstance(value, datetime.timedelta):  # what some drivers give for TIME
            return (datetime.datetime.min + value).time()
        return datetime.time.fromisoformat(str(value).strip())
    if kind in ("timestamp", "timestamptz"):
        return _timestamp(value)
    if kind == "uuid":
        return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
    if kind in ("json", "jsonb"):
        if isinstance(value, str):
            json.loads(value)  # refuse what is no JSON: the field promises JSON
            return value
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    if kind.startswith("_"):
        items = _parse_pg_array(value) if isinstance(value, str) else list(value)
        return [_convert(item, column, kind[1:]) for item in items]
    if kind in ("text", "varchar", "bpchar", "char", "name"):
        return value if isinstance(value, str) else str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode()
    return str(value)


def _timestamp(value: Any) -> datetime.datetime:
    if isinstance(value, int | float) and not isinstance(value, bool):
        # SQLite keeps DATETIME as unix seconds when it is a number.
        return datetime.datetime.fromtimestamp(value, datetime.UTC)
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, datetime.date):
        moment = datetime.datetime.combine(value, datetime.time())
    else:
        moment = datetime.datetime.fromisoformat(str(value).strip())
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC)


def _parse_pg_array(text: str) -> list[Any]:
    """The elements of a one-dimensional PostgreSQL array literal (``{1,NULL,"a,b"}``)."""
    text = text.strip()
    if text.startswith("[") and "=" in text:  # `[0:2]={...}`: lower bounds are dropped
        text = text.split("=", 1)[1]
    if not (text.startswith("{") and text.endswith("}")):
        raise ValueError("not an array literal")
    body = text[1:-1]
    if "{" in body:
        raise ValueError("multi-dimensional arrays are not supported")
    items: list[Any] = []
    if not body:
        return items
    current: list[str] = []
    quoted = was_quoted = False
    index = 0
    while index < len(body):
        char = body[index]
        if quoted:
            if char == "\\":
                index += 1
                current.append(body[index])
            elif char == '"':
                quoted = False
            else:
                current.append(char)
        elif char == '"':
            quoted = was_quoted = True
        elif char == ",":
            items.append(_array_item(current, was_quoted))
            current, was_quoted = [], False
        else:
            current.append(char)
        index += 1
    items.append(_array_item(current, was_quoted))
    return items


def _array_item(chars: Iterable[str], was_quoted: bool) -> str | None:
    text = "".join(chars)
    if not was_quoted and text.strip().upper() == "NULL":
        return None
    return text if was_quoted else text.strip()
