"""Expressions written back as SQL text, for messages (``PRICE > 'x'``)."""

from __future__ import annotations

from decimal import Decimal

from streammesh.streams.expressions import (
    ArrayConstructor,
    Between,
    Binary,
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
from streammesh.streams.types import type_text


def text_of(node: Expression) -> str:
    """``node`` as SQL text."""
    if isinstance(node, Column):
        return f"{node.source}.{node.name}" if node.source else node.name
    if isinstance(node, Literal):
        value = node.value
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, TimeUnit):
            return value.value
        if isinstance(value, str):
            return "'" + value.replace("'", "''") + "'"
        if isinstance(value, bytes):
            return f"X'{value.hex()}'"
        if isinstance(value, Decimal):
            return format(value, "f")
        return repr(value)
    if isinstance(node, Binary):
        return f"{text_of(node.left)} {node.operator.value} {text_of(node.right)}"
    if isinstance(node, Unary):
        if node.operator is UnaryOperator.NOT:
            return f"NOT {text_of(node.operand)}"
        return f"{node.operator.value}{text_of(node.operand)}"
    if isinstance(node, Call):
        inner = "*" if node.star else ", ".join(text_of(item) for item in node.arguments)
        return f"{node.name}({'DISTINCT ' if node.distinct else ''}{inner})"
    if isinstance(node, Cast):
        return f"CAST({text_of(node.operand)} AS {type_text(node.type)})"
    if isinstance(node, Case):
        parts = ["CASE"] + ([text_of(node.operand)] if node.operand else [])
        for when in node.whens:
            parts.append(f"WHEN {text_of(when.condition)} THEN {text_of(when.result)}")
        if node.default is not None:
            parts.append(f"ELSE {text_of(node.default)}")
        return " ".join([*parts, "END"])
    if isinstance(node, Like):
        negated = "NOT " if node.negated else ""
        return f"{text_of(node.operand)} {negated}LIKE {text_of(node.pattern)}"
    if isinstance(node, InList):
        values = ", ".join(text_of(item) for item in node.values)
        return f"{text_of(node.operand)} {'NOT ' if node.negated else ''}IN ({values})"
    if isinstance(node, Between):
        negated = "NOT " if node.negated else ""
        return (
            f"{text_of(node.operand)} {negated}BETWEEN {text_of(node.low)} AND {text_of(node.high)}"
        )
    if isinstance(node, IsNull):
        return f"{text_of(node.operand)} IS {'NOT ' if node.negated else ''}NULL"
    if isinstance(node, Subscript):
        return f"{text_of(node.base)}[{text_of(node.index)}]"
    if isinstance(node, Dereference):
        return f"{text_of(node.base)}->{node.field_name}"
    if isinstance(node, ArrayConstructor):
        return "ARRAY[" + ", ".join(text_of(item) for item in node.elements) + "]"
    if isinstance(node, MapConstructor):
        return "MAP(" + ", ".join(f"{text_of(k)} := {text_of(v)}" for k, v in node.entries) + ")"
    if isinstance(node, StructConstructor):
        return "STRUCT(" + ", ".join(f"{name} := {text_of(v)}" for name, v in node.fields) + ")"
    if isinstance(node, Lambda):
        params = (
            node.parameters[0] if len(node.parameters) == 1 else f"({', '.join(node.parameters)})"
        )
        return f"{params} => {text_of(node.body)}"
    return type(node).__name__
