"""ksqlDB's typing rules: numeric widening, the decimal type of arithmetic, common types of
expression lists and which casts are allowed.

Widening follows ksqlDB: INTEGER < BIGINT < DECIMAL < DOUBLE, where an INTEGER taken as a
decimal is ``DECIMAL(10, 0)`` and a BIGINT ``DECIMAL(19, 0)``.
"""

from __future__ import annotations

from collections.abc import Sequence

from streammesh.streams.types import (
    BIGINT,
    DOUBLE,
    INTEGER,
    NUMERIC,
    STRING,
    ArrayType,
    BaseType,
    DecimalType,
    MapType,
    SqlType,
    StructField,
    StructType,
    array,
    decimal,
    map_of,
)

RANK = {BaseType.INTEGER: 0, BaseType.BIGINT: 1, BaseType.DECIMAL: 2, BaseType.DOUBLE: 3}
TEMPORAL = frozenset({BaseType.DATE, BaseType.TIME, BaseType.TIMESTAMP})
MAX_PRECISION = 38


def is_numeric(kind: SqlType | None) -> bool:
    """True for INTEGER, BIGINT, DECIMAL and DOUBLE."""
    return kind is not None and kind.base in NUMERIC


def as_decimal(kind: SqlType) -> DecimalType:
    """The decimal type an integer widens to (INTEGER → DECIMAL(10, 0), BIGINT →
    DECIMAL(19, 0)); a decimal is itself."""
    if isinstance(kind, DecimalType):
        return kind
    if kind.base is BaseType.INTEGER:
        return decimal(10, 0)
    if kind.base is BaseType.BIGINT:
        return decimal(19, 0)
    raise ValueError(f"{kind} has no decimal form")


def _capped(precision: int, scale: int) -> DecimalType:
    # ksqlDB keeps the formula's type; a precision beyond Java BigDecimal's practical range
    # is capped at 38 like the other SQL engines, keeping the scale when possible.
    if precision > MAX_PRECISION:
        scale = max(0, scale - (precision - MAX_PRECISION))
        precision = MAX_PRECISION
    return decimal(max(precision, 1), min(scale, max(precision, 1)))


def decimal_arithmetic(operator: str, left: DecimalType, right: DecimalType) -> DecimalType:
    """The decimal type of ``left operator right`` as ksqlDB computes it.

    ``+``/``-``: scale max(s1, s2), precision max(s1, s2) + max(p1 - s1, p2 - s2) + 1;
    ``*``: precision p1 + p2 + 1, scale s1 + s2; ``/``: scale max(6, s1 + p2 + 1),
    precision p1 - s1 + s2 + that scale; ``%``: scale max(s1, s2), precision
    min(p1 - s1, p2 - s2) + that scale.
    """
    p1, s1, p2, s2 = left.precision, left.scale, right.precision, right.scale
    if operator in {"+", "-"}:
        scale = max(s1, s2)
        return _capped(scale + max(p1 - s1, p2 - s2) + 1, scale)
    if operator == "*":
        return _capped(p1 + p2 + 1, s1 + s2)
    if operator == "/":
        scale = max(6, s1 + p2 + 1)
        return _capped(p1 - s1 + s2 + scale, scale)
    scale = max(s1, s2)
    return _capped(min(p1 - s1, p2 - s2) + scale, scale)


def numeric_result(operator: str, left: SqlType, right: SqlType) -> SqlType:
    """The type of arithmetic between two numeric types (the wider one; decimals by
    :func:`decimal_arithmetic`)."""
    rank = max(RANK[left.base], RANK[right.base])
    if rank == RANK[BaseType.DOUBLE]:
        return DOUBLE
    if rank == RANK[BaseType.DECIMAL]:
        return decimal_arithmetic(operator, as_decimal(left), as_decimal(right))
    return BIGINT if rank == RANK[BaseType.BIGINT] else INTEGER


def widens_to(source: SqlType, target: SqlType) -> bool:
    """Whether ksqlDB coerces ``source`` to ``target`` implicitly."""
    if source == target:
        return True
    if is_numeric(source) and is_numeric(target):
        if isinstance(target, DecimalType):
            if source.base is BaseType.DOUBLE:
                return False
            wide = as_decimal(source)
            return (
                wide.scale <= target.scale
                and wide.precision - wide.scale <= target.precision - target.scale
            )
        return RANK[source.base] <= RANK[target.base]
    if isinstance(source, ArrayType) and isinstance(target, ArrayType):
        return widens_to(source.element, target.element)
    if isinstance(source, MapType) and isinstance(target, MapType):
        return widens_to(source.key, target.key) and widens_to(source.value, target.value)
    if isinstance(source, StructType) and isinstance(target, StructType):
        for item in source.fields:
            other = target.field(item.name)
            if other is not None and not widens_to(item.type, other.type):
                return False
        return True
    return False


def wider_numeric(left: SqlType, right: SqlType) -> SqlType:
    """The numeric type wide enough for both (decimals: enough integer digits and scale)."""
    rank = max(RANK[left.base], RANK[right.base])
    if rank == RANK[BaseType.DOUBLE]:
        return DOUBLE
    if rank == RANK[BaseType.DECIMAL]:
        a, b = as_decimal(left), as_decimal(right)
        scale = max(a.scale, b.scale)
        return _capped(max(a.precision - a.scale, b.precision - b.scale) + scale, scale)
    return BIGINT if rank else INTEGER


def common_type(kinds: Sequence[SqlType | None]) -> SqlType | None:
    """The common type of an expression list (CASE branches, IN, ARRAY[...]), following
    ksqlDB's rules from the first non-null type; ``None`` if every entry is NULL.

    Raises:
        TypeError: two entries that have no common type (the caller names them); the
            exception's args are the index of the entry and the type so far.
    """
    result: SqlType | None = None
    for index, kind in enumerate(kinds):
        if kind is None:
            continue
        if result is None:
            result = kind
            continue
        merged = _merge(result, kind)
        if merged is None:
            raise TypeError(index, result)
        result = merged
    return result


def _merge(left: SqlType, right: SqlType) -> SqlType | None:
    if left == right:
        return left
    if is_numeric(left) and is_numeric(right):
        return wider_numeric(left, right)
    if isinstance(left, ArrayType) and isinstance(right, ArrayType):
        element = _merge(left.element, right.element)
        return array(element) if element is not None else None
    if isinstance(left, MapType) and isinstance(right, MapType):
        key, value = _merge(left.key, right.key), _merge(left.value, right.value)
        return map_of(key, value) if key is not None and value is not None else None
    if isinstance(left, StructType) and isinstance(right, StructType):
        fields = list(left.fields)
        for item in right.fields:
            mine = left.field(item.name)
            if mine is None:
                fields.append(item)
                continue
            kind = _merge(mine.type, item.type)
            if kind is None:
                return None
            fields[fields.index(mine)] = StructField(item.name, kind)
        return StructType(BaseType.STRUCT, tuple(fields))
    return None


def castable(source: SqlType, target: SqlType) -> bool:
    """Whether ``CAST(x AS target)`` is allowed for ``x`` of type ``source`` (ksqlDB's table
    of casts: anything but BYTES to STRING; STRING to BOOLEAN, numbers, DATE, TIME and
    TIMESTAMP; TIMESTAMP to DATE or TIME; DATE to TIMESTAMP; between numbers; between
    arrays, maps and structs whose parts cast)."""
    if source == target:
        return True
    if target == STRING:
        return source.base is not BaseType.BYTES
    if source == STRING:
        return target.base in NUMERIC or target.base in TEMPORAL or target.base is BaseType.BOOLEAN
    if source.base is BaseType.TIMESTAMP:
        return target.base in {BaseType.DATE, BaseType.TIME}
    if source.base is BaseType.DATE:
        return target.base is BaseType.TIMESTAMP
    if is_numeric(source) and is_numeric(target):
        return True
    if isinstance(source, ArrayType) and isinstance(target, ArrayType):
        return castable(source.element, target.element)
    if isinstance(source, MapType) and isinstance(target, MapType):
        return castable(source.key, target.key) and castable(source.value, target.value)
    if isinstance(source, StructType) and isinstance(target, StructType):
        return all(
            castable(item.type, other.type)
            for item in source.fields
            if (other := target.field(item.name)) is not None
        )
    return False
