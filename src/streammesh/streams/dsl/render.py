"""Statements written back as ksqlDB SQL that parses to the same statement.

A DSL pipeline runs as the script this module writes (``streams run module:pipeline`` runs it
exactly as it runs a ``.sql`` file, and an application records its SQL). Unlike the message
text of :func:`~streammesh.streams.evaluation.text.text_of`, the output is exact: parentheses
where precedence needs them, names back-quoted where an unquoted name would resolve to another
(``price``, ``my col``, ``WINDOW``), literals spelled so they get their type back
(``1.5E0`` DOUBLE, ``1.5`` DECIMAL(2, 1)), negative numbers parenthesized.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from streammesh.streams.dsl.errors import InvalidPipeline
from streammesh.streams.expressions import (
    ArrayConstructor,
    Between,
    Binary,
    BinaryOperator,
    Call,
    Case,
    Cast,
    Column,
    Dereference,
    Expression,
    InList,
    IsNull,
    Lambda,
    Like,
    Literal,
    MapConstructor,
    StructConstructor,
    Subscript,
    TimeUnit,
    Unary,
    UnaryOperator,
)
from streammesh.streams.sql.expression_grammar import RESERVED_WORDS
from streammesh.streams.sql.statements import (
    AliasedSource,
    CreateAsSelect,
    HoppingWindow,
    Join,
    JoinKind,
    JoinWindow,
    Query,
    SelectAll,
    SelectExpression,
    SelectItem,
    SessionWindow,
    SourceProperties,
    TumblingWindow,
    Window,
)
from streammesh.streams.types import type_text

_PLAIN = re.compile(r"[A-Z_][A-Z0-9_@]*")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_@]*")

# Binding strength, loosest first: OR, AND, NOT, predicates, ||, + -, * / %, unary, primary.
_OR, _AND, _NOT, _PREDICATE, _CONCAT, _SUM, _PRODUCT, _UNARY, _PRIMARY = range(1, 10)
_LEVEL = {
    BinaryOperator.OR: _OR,
    BinaryOperator.AND: _AND,
    BinaryOperator.CONCAT: _CONCAT,
    BinaryOperator.ADD: _SUM,
    BinaryOperator.SUBTRACT: _SUM,
    BinaryOperator.MULTIPLY: _PRODUCT,
    BinaryOperator.DIVIDE: _PRODUCT,
    BinaryOperator.MODULO: _PRODUCT,
}
_UNITS = (
    (86_400_000, "DAYS"),
    (3_600_000, "HOURS"),
    (60_000, "MINUTES"),
    (1_000, "SECONDS"),
    (1, "MILLISECONDS"),
)


def identifier(name: str) -> str:
    """``name`` as an identifier that resolves to it: bare when upper-case and not reserved,
    back-quoted otherwise."""
    if _PLAIN.fullmatch(name) and name not in RESERVED_WORDS:
        return name
    return "`" + name.replace("`", "``") + "`"


def _product_part(part: str) -> str:
    # Product names keep their case when unquoted, so only odd characters need quotes.
    if _WORD.fullmatch(part) and part.upper() not in RESERVED_WORDS:
        return part
    return "`" + part.replace("`", "``") + "`"


def _string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def expression_sql(node: Expression) -> str:
    """``node`` as SQL text that parses back to ``node``.

    Raises:
        InvalidPipeline: a node with no SQL spelling (a float that is not finite).
    """
    return _render(node)[0]


def _wrapped(node: Expression, weakest: int) -> str:
    """``node``'s text, parenthesized when it binds more loosely than ``weakest``."""
    text, level = _render(node)
    return text if level >= weakest else f"({text})"


def _render(node: Expression) -> tuple[str, int]:
    if isinstance(node, Column):
        name = identifier(node.name)
        return (f"{identifier(node.source)}.{name}" if node.source else name), _PRIMARY
    if isinstance(node, Literal):
        return _literal(node)
    if isinstance(node, Binary):
        level = _LEVEL.get(node.operator, _PREDICATE)
        # Left-associative: an equal left operand needs no parentheses, an equal right one does;
        # comparisons do not chain.
        left_weakest = level + 1 if level == _PREDICATE else level
        text = (
            f"{_wrapped(node.left, left_weakest)} {node.operator.value}"
            f" {_wrapped(node.right, level + 1)}"
        )
        return text, level
    if isinstance(node, Unary):
        if node.operator is UnaryOperator.NOT:
            # Parenthesized so that NOT around IN, BETWEEN or IS NULL stays a NOT.
            return f"NOT {_wrapped(node.operand, _PREDICATE + 1)}", _NOT
        operand, level = _render(node.operand)
        if level < _PRIMARY or isinstance(node.operand, Literal):
            operand = f"({operand})"  # -(5) stays a negation: -5 is a literal
        return f"{node.operator.value}{operand}", _UNARY
    if isinstance(node, Call):
        inner = "*" if node.star else ", ".join(expression_sql(item) for item in node.arguments)
        distinct = "DISTINCT " if node.distinct else ""
        return f"{node.name}({distinct}{inner})", _PRIMARY
    if isinstance(node, Cast):
        return f"CAST({expression_sql(node.operand)} AS {type_text(node.type)})", _PRIMARY
    if isinstance(node, Case):
        parts = ["CASE"] + ([expression_sql(node.operand)] if node.operand else [])
        for when in node.whens:
            parts.append(
                f"WHEN {expression_sql(when.condition)} THEN {expression_sql(when.result)}"
            )
        if node.default is not None:
            parts.append(f"ELSE {expression_sql(node.default)}")
        return " ".join([*parts, "END"]), _PRIMARY
    if isinstance(node, Like):
        text = (
            f"{_wrapped(node.operand, _CONCAT)} {'NOT ' if node.negated else ''}LIKE"
            f" {_wrapped(node.pattern, _CONCAT)}"
        )
        if node.escape is not None:
            text += f" ESCAPE {_string(node.escape)}"
        return text, _PREDICATE
    if isinstance(node, InList):
        values = ", ".join(expression_sql(item) for item in node.values)
        negated = "NOT " if node.negated else ""
        return f"{_wrapped(node.operand, _CONCAT)} {negated}IN ({values})", _PREDICATE
    if isinstance(node, Between):
        negated = "NOT " if node.negated else ""
        return (
            f"{_wrapped(node.operand, _CONCAT)} {negated}BETWEEN {_wrapped(node.low, _CONCAT)}"
            f" AND {_wrapped(node.high, _CONCAT)}"
        ), _PREDICATE
    if isinstance(node, IsNull):
        negated = "NOT " if node.negated else ""
        return f"{_wrapped(node.operand, _CONCAT)} IS {negated}NULL", _PREDICATE
    if isinstance(node, Subscript):
        return f"{_wrapped(node.base, _PRIMARY)}[{expression_sql(node.index)}]", _PRIMARY
    if isinstance(node, Dereference):
        return f"{_wrapped(node.base, _PRIMARY)}->{identifier(node.field_name)}", _PRIMARY
    if isinstance(node, ArrayConstructor):
        return "ARRAY[" + ", ".join(expression_sql(item) for item in node.elements) + "]", _PRIMARY
    if isinstance(node, MapConstructor):
        entries = ", ".join(
            f"{expression_sql(key)} := {expression_sql(value)}" for key, value in node.entries
        )
        return f"MAP({entries})", _PRIMARY
    if isinstance(node, StructConstructor):
        fields = ", ".join(
            f"{identifier(name)} := {expression_sql(value)}" for name, value in node.fields
        )
        return f"STRUCT({fields})", _PRIMARY
    if isinstance(node, Lambda):
        names = [identifier(name) for name in node.parameters]
        head = names[0] if len(names) == 1 else f"({', '.join(names)})"
        return f"{head} => {expression_sql(node.body)}", 0
    raise InvalidPipeline(f"the expression node {type(node).__name__} has no SQL spelling")


def _literal(node: Literal) -> tuple[str, int]:
    value = node.value
    if value is None:
        return "NULL", _PRIMARY
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE"), _PRIMARY
    if isinstance(value, TimeUnit):
        return value.value, _PRIMARY
    if isinstance(value, str):
        return _string(value), _PRIMARY
    if isinstance(value, bytes):
        return f"X'{value.hex()}'", _PRIMARY
    if isinstance(value, float):
        text = repr(value)
        if text in ("inf", "-inf", "nan"):
            raise InvalidPipeline(f"the literal {text} has no SQL spelling (not finite)")
        text = text if "e" in text else f"{text}E0"  # a DOUBLE, not a DECIMAL
    elif isinstance(value, Decimal):
        text = format(value, "f")
    else:
        text = str(value)
    # A negative number is one literal only when nothing binds to its left.
    return (f"({text})" if text.startswith("-") else text), _PRIMARY


def duration_sql(milliseconds: int) -> str:
    """``15 MINUTES``: the largest unit that counts ``milliseconds`` exactly."""
    for size, unit in _UNITS:
        if milliseconds % size == 0 and (milliseconds or size == 1):
            return f"{milliseconds // size} {unit}"
    return f"{milliseconds} MILLISECONDS"  # pragma: no cover - size 1 always divides


def _window(window: Window) -> str:
    if isinstance(window, TumblingWindow):
        head = f"TUMBLING (SIZE {duration_sql(window.size_ms)}"
    elif isinstance(window, HoppingWindow):
        head = (
            f"HOPPING (SIZE {duration_sql(window.size_ms)},"
            f" ADVANCE BY {duration_sql(window.advance_ms)}"
        )
    elif isinstance(window, SessionWindow):
        head = f"SESSION ({duration_sql(window.gap_ms)}"
    if window.retention_ms is not None:
        head += f", RETENTION {duration_sql(window.retention_ms)}"
    if window.grace_ms is not None:
        head += f", GRACE PERIOD {duration_sql(window.grace_ms)}"
    return head + ")"


def _within(window: JoinWindow) -> str:
    if window.before_ms == window.after_ms:
        text = f"WITHIN {duration_sql(window.before_ms)}"
    else:
        text = f"WITHIN ({duration_sql(window.before_ms)}, {duration_sql(window.after_ms)})"
    if window.grace_ms is not None:
        text += f" GRACE PERIOD {duration_sql(window.grace_ms)}"
    return text


def _source(source: AliasedSource) -> str:
    if source.is_product:
        text = ".".join(_product_part(part) for part in source.name.split("."))
    else:
        text = identifier(source.name)
    return f"{text} AS {identifier(source.alias)}" if source.alias else text


def _join(join: Join) -> str:
    words = {
        JoinKind.INNER: "JOIN",
        JoinKind.LEFT: "LEFT JOIN",
        JoinKind.RIGHT: "RIGHT JOIN",
        JoinKind.FULL: "FULL OUTER JOIN",
    }
    within = f" {_within(join.within)}" if join.within is not None else ""
    return f"{words[join.kind]} {_source(join.source)}{within} ON {expression_sql(join.on)}"


def _item(item: SelectItem) -> str:
    if isinstance(item, SelectAll):
        return f"{identifier(item.source)}.*" if item.source else "*"
    if isinstance(item, SelectExpression):
        text = expression_sql(item.expression)
        return f"{text} AS {identifier(item.alias)}" if item.alias else text
    return f"{_wrapped(item.base, _PRIMARY)}->*"


def query_sql(query: Query) -> str:
    """The ``SELECT``, one clause per line after the first."""
    lines = [f"SELECT {', '.join(_item(item) for item in query.select)}"]
    lines.append(f"  FROM {_source(query.source)}")
    lines.extend(f"  {_join(join)}" for join in query.joins)
    if query.window is not None:
        lines.append(f"  WINDOW {_window(query.window)}")
    if query.where is not None:
        lines.append(f"  WHERE {expression_sql(query.where)}")
    if query.group_by:
        lines.append(f"  GROUP BY {', '.join(expression_sql(e) for e in query.group_by)}")
    if query.partition_by:
        lines.append(f"  PARTITION BY {', '.join(expression_sql(e) for e in query.partition_by)}")
    if query.having is not None:
        lines.append(f"  HAVING {expression_sql(query.having)}")
    if query.emit is not None:
        lines.append(f"  EMIT {query.emit.value}")
    return "\n".join(lines)


def _properties(properties: SourceProperties) -> str:
    items: list[str] = []
    texts = (
        ("KAFKA_TOPIC", properties.kafka_topic),
        ("VALUE_FORMAT", properties.value_format),
        ("KEY_FORMAT", properties.key_format),
        ("FORMAT", properties.format),
        ("TIMESTAMP_FORMAT", properties.timestamp_format),
        ("VALUE_DELIMITER", properties.value_delimiter),
        ("KEY_DELIMITER", properties.key_delimiter),
        ("PRODUCT", properties.product),
        ("QUERY_ID", properties.query_id),
    )
    items.extend(f"{name}={_string(value)}" for name, value in texts if value is not None)
    numbers = (
        ("PARTITIONS", properties.partitions),
        ("REPLICAS", properties.replicas),
        ("RETENTION_MS", properties.retention_ms),
    )
    items.extend(f"{name}={value}" for name, value in numbers if value is not None)
    if properties.timestamp is not None:
        items.append(f"TIMESTAMP={_string(identifier(properties.timestamp))}")
    if properties.wrap_single_value is not None:
        items.append(f"WRAP_SINGLE_VALUE={'true' if properties.wrap_single_value else 'false'}")
    return f" WITH ({', '.join(items)})" if items else ""


def statement_sql(statement: CreateAsSelect) -> str:
    """``CREATE STREAM|TABLE name [WITH (...)] AS SELECT ...`` without the ``;``."""
    return (
        f"CREATE {statement.kind.value} {identifier(statement.name)}"
        f"{_properties(statement.properties)} AS\n{query_sql(statement.query)}"
    )


def script_sql(statements: Sequence[CreateAsSelect]) -> str:
    """The statements as one script, each ending with ``;``."""
    return "".join(f"{statement_sql(statement)};\n\n" for statement in statements).rstrip() + "\n"


__all__ = [
    "duration_sql",
    "expression_sql",
    "identifier",
    "query_sql",
    "script_sql",
    "statement_sql",
]
