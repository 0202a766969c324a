"""ksqlDB's numeric functions and its NULL-handling functions.

Math on DOUBLE follows Java: ``SQRT(-1)`` is NaN, ``LN(0)`` is -Infinity, ``POWER`` that
overflows is Infinity (no error).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from streammesh.streams.evaluation.rules import common_type
from streammesh.streams.evaluation.values import DECIMALS, wrap32, wrap64
from streammesh.streams.functions.signatures import (
    ANY,
    ArgumentTypes,
    D,
    I,
    Overload,
    Param,
    ScalarFunction,
    exactly,
    family,
    same_as,
    scalar,
)
from streammesh.streams.types import (
    BIGINT,
    DOUBLE,
    INTEGER,
    BaseType,
    DecimalType,
    SqlType,
    decimal,
)

INT = exactly(INTEGER)
LONG = Param(
    "BIGINT", lambda given: BIGINT if given.base in {BaseType.INTEGER, BaseType.BIGINT} else None
)
DEC = family("DECIMAL", BaseType.DECIMAL)


def _java_log(value: float) -> float:
    if math.isnan(value) or value < 0:
        return math.nan
    if value == 0:
        return -math.inf
    return math.log(value)


def _java_log_base(base: float, value: float) -> float:
    if base <= 0 or base == 1 or value < 0 or math.isnan(base) or math.isnan(value):
        return math.nan
    if value == 0:
        return -math.inf
    return math.log(value) / math.log(base)


def _java_sqrt(value: float) -> float:
    return math.nan if value < 0 or math.isnan(value) else math.sqrt(value)


def _java_exp(value: float) -> float:
    try:
        return math.exp(value)
    except OverflowError:
        return math.inf


def _java_power(base: float, exponent: float) -> float:
    try:
        return float(math.pow(base, exponent))
    except OverflowError:
        return math.inf
    except ValueError:
        return math.nan


def round_half_ceiling(value: Decimal, digits: int) -> Decimal:
    """``value`` rounded to ``digits`` places, halves towards positive infinity (ksqlDB:
    "numbers equidistant to the nearest value are rounded up, in the positive direction")."""
    exponent = Decimal(1).scaleb(-digits)
    mode = ROUND_HALF_UP if value >= 0 else ROUND_HALF_DOWN
    return value.quantize(exponent, rounding=mode, context=DECIMALS)


def _round_double(value: float, digits: int = 0) -> float:
    if math.isnan(value) or math.isinf(value):
        return value
    return float(round_half_ceiling(Decimal(repr(value)), digits))


def _round_double_to_long(value: float) -> int:
    # Java's Math.round: floor(x + 0.5), saturating; NaN is 0.
    if math.isnan(value):
        return 0
    if math.isinf(value):
        return 2**63 - 1 if value > 0 else -(2**63)
    return max(-(2**63), min(2**63 - 1, int(round_half_ceiling(Decimal(repr(value)), 0))))


def _integral_decimal_type(types: ArgumentTypes) -> SqlType:
    kind = types[0]
    assert isinstance(kind, DecimalType)
    return decimal(max(1, kind.precision - kind.scale), 0)


def _trunc_double_to_long(value: float) -> int:
    # Java's Double.longValue: towards zero, saturating; NaN is 0.
    if math.isnan(value):
        return 0
    if math.isinf(value):
        return 2**63 - 1 if value > 0 else -(2**63)
    return max(-(2**63), min(2**63 - 1, int(value)))


def _integral(mode: str) -> Callable[[Any], Any]:
    def apply(value: Any) -> Any:
        if isinstance(value, float):
            if math.isnan(value) or math.isinf(value):
                return value
            return float(Decimal(repr(value)).to_integral_value(rounding=mode))
        if isinstance(value, Decimal):
            return value.to_integral_value(rounding=mode).quantize(value)
        return value

    return apply


def _abs(kind: SqlType) -> Callable[[Any], Any]:
    if kind.base is BaseType.INTEGER:
        return lambda value: wrap32(abs(value))
    if kind.base is BaseType.BIGINT:
        return lambda value: wrap64(abs(value))
    return abs


def _sign(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return 0
    return (value > 0) - (value < 0)


def _trunc(value: Any, digits: int = 0) -> Any:
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return value
        exact = Decimal(repr(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_DOWN)
        return float(exact)
    if isinstance(value, Decimal):
        return value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_DOWN).quantize(
            value, rounding=ROUND_DOWN
        )
    return value


def _common(types: ArgumentTypes) -> SqlType:
    try:
        kind = common_type(types)
    except TypeError as exc:
        raise ValueError(
            f"argument {exc.args[0] + 1} has no type in common with the others"
        ) from None
    if kind is None:
        raise ValueError("every argument is NULL, so the result has no type")
    return kind


def _extreme(pick: Callable[..., Any]) -> Callable[..., Any]:
    def call(*values: Any) -> Any:
        present = [value for value in values if value is not None]
        return pick(present) if present else None

    return call


def _coalesce(*values: Any) -> Any:
    return next((value for value in values if value is not None), None)


def _numeric_overloads(
    implementation: Callable[[SqlType], Callable[..., Any]],
) -> tuple[Overload, ...]:
    return (
        Overload((INT,), INTEGER, implementation(INTEGER)),
        Overload((LONG,), BIGINT, implementation(BIGINT)),
        Overload((DEC,), same_as(0), implementation(decimal(38, 0))),
        Overload((D,), DOUBLE, implementation(DOUBLE)),
    )


NUMERIC: tuple[ScalarFunction, ...] = (
    scalar("ABS", "Numeric", "The absolute value.", *_numeric_overloads(_abs)),
    scalar(
        "CEIL",
        "Numeric",
        "The smallest integral value not below the argument (same type).",
        *_numeric_overloads(lambda _kind: _integral(ROUND_CEILING)),
    ),
    scalar(
        "FLOOR",
        "Numeric",
        "The largest integral value not above the argument (same type).",
        *_numeric_overloads(lambda _kind: _integral(ROUND_FLOOR)),
    ),
    scalar(
        "ROUND",
        "Numeric",
        "Rounds to a number of decimal places (default 0; negative rounds left of the"
        " point); halves round up, towards positive infinity. Without places an INTEGER,"
        " BIGINT or DOUBLE gives a BIGINT and a DECIMAL(p, s) a DECIMAL(p - s, 0); with"
        " places a DOUBLE stays DOUBLE and a DECIMAL keeps its type.",
        Overload((LONG,), BIGINT, lambda value: value),
        Overload((DEC,), _integral_decimal_type, lambda value: round_half_ceiling(value, 0)),
        Overload((D,), BIGINT, _round_double_to_long),
        Overload(
            (DEC, I),
            same_as(0),
            lambda value, digits: round_half_ceiling(value, digits).quantize(
                value, rounding=ROUND_HALF_UP, context=DECIMALS
            ),
        ),
        Overload((D, I), DOUBLE, _round_double),
        examples=("ROUND(2.5) => 3", "ROUND(-2.5) => -2", "ROUND(1.234, 2) => 1.23"),
    ),
    scalar(
        "TRUNC",
        "Numeric",
        "Truncates towards zero to a number of decimal places (default 0); types as ROUND.",
        Overload((LONG,), BIGINT, lambda value: value),
        Overload((DEC,), _integral_decimal_type, lambda value: value.to_integral_value(ROUND_DOWN)),
        Overload((D,), BIGINT, _trunc_double_to_long),
        Overload((DEC, I), same_as(0), _trunc),
        Overload((D, I), DOUBLE, _trunc),
    ),
    scalar(
        "SQRT",
        "Numeric",
        "The square root (NaN for a negative).",
        Overload((D,), DOUBLE, _java_sqrt),
    ),
    scalar(
        "CBRT",
        "Numeric",
        "The cube root.",
        Overload((D,), DOUBLE, lambda v: math.copysign(abs(v) ** (1 / 3), v)),
    ),
    scalar("EXP", "Numeric", "e raised to the argument.", Overload((D,), DOUBLE, _java_exp)),
    scalar("LN", "Numeric", "The natural logarithm.", Overload((D,), DOUBLE, _java_log)),
    scalar(
        "LOG",
        "Numeric",
        "The base-10 logarithm, or the logarithm in a given base: LOG(base, value).",
        Overload((D,), DOUBLE, lambda value: _java_log_base(10.0, value)),
        Overload((D, D), DOUBLE, _java_log_base),
    ),
    scalar(
        "POWER",
        "Numeric",
        "base raised to exponent (Infinity on overflow).",
        Overload((D, D), DOUBLE, _java_power),
    ),
    scalar(
        "SIGN",
        "Numeric",
        "-1, 0 or 1 as an INTEGER.",
        Overload(
            (
                family(
                    "NUMERIC", BaseType.INTEGER, BaseType.BIGINT, BaseType.DECIMAL, BaseType.DOUBLE
                ),
            ),
            INTEGER,
            _sign,
        ),
    ),
    scalar(
        "RANDOM",
        "Numeric",
        "A random DOUBLE in [0, 1).",
        Overload((), DOUBLE, random.random),
        deterministic=False,
    ),
    scalar("PI", "Numeric", "π.", Overload((), DOUBLE, lambda: math.pi)),
    scalar(
        "GREATEST",
        "Numeric",
        "The largest non-NULL argument (arguments of one comparable type).",
        Overload((ANY,), _common, _extreme(max), variadic=ANY, null_safe=True, unify=True),
    ),
    scalar(
        "LEAST",
        "Numeric",
        "The smallest non-NULL argument.",
        Overload((ANY,), _common, _extreme(min), variadic=ANY, null_safe=True, unify=True),
    ),
)

NULLS: tuple[ScalarFunction, ...] = (
    scalar(
        "COALESCE",
        "Nulls",
        "The first non-NULL argument (all of one common type).",
        Overload((ANY,), _common, _coalesce, variadic=ANY, null_safe=True, unify=True),
    ),
    scalar(
        "IFNULL",
        "Nulls",
        "The first argument, or the second when the first is NULL.",
        Overload((ANY, ANY), _common, _coalesce, null_safe=True, unify=True),
    ),
    scalar(
        "NULLIF",
        "Nulls",
        "NULL when both arguments are equal, else the first.",
        Overload(
            (ANY, ANY),
            _common,
            lambda first, second: None if first is not None and first == second else first,
            null_safe=True,
            unify=True,
        ),
    ),
)
