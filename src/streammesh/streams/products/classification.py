"""Classifications propagate through a plan: an output column computed from a classified
input field carries that field's labels.

The rule, conservative on purpose: a column's labels are the union of the labels of every
input column its expression reads — whatever the expression does with them (a comparison, a
``CASE``, a hash, ``IS NULL``: each still tells something about the value, so each keeps the
labels). Only ``COUNT`` and ``COUNT_DISTINCT`` provably remove them: their result is a number
of rows (or of distinct values), never a value read. Every other aggregate keeps its
arguments' labels (``MAX(email)`` is an email). Window bounds, pseudo-columns and literals
carry none; a join's columns keep their side's labels; ``GROUP BY`` and ``PARTITION BY``
keys carry their expression's labels.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from streammesh.products import Classification
from streammesh.streams.evaluation.errors import ExpressionError
from streammesh.streams.evaluation.schema import Schema
from streammesh.streams.expressions import Call, Column, Expression
from streammesh.streams.plan import (
    Aggregate,
    Filter,
    Join,
    PlanNode,
    Project,
    Rekey,
    Role,
    RowSchema,
    Sink,
    Source,
)

__all__ = ["REMOVING_FUNCTIONS", "Labels", "column_labels", "expression_labels"]

Labels = frozenset[Classification]
"""The classifications of one column."""

REMOVING_FUNCTIONS = frozenset({"COUNT", "COUNT_DISTINCT"})
"""Functions whose result never holds a value they read: their result is unclassified."""

_NONE: Labels = frozenset()


def column_labels(
    node: PlanNode, sources: Mapping[str, Mapping[str, Labels]]
) -> tuple[Labels, ...]:
    """The labels of each column of ``node.schema``, in order.

    Args:
        node: A plan node (usually the ``Sink``).
        sources: Per source name (the plan's ``Source.name``), the labels of its columns by
            name; a source not listed has none.
    """
    if isinstance(node, Source):
        known = sources.get(node.name, {})
        return tuple(
            _NONE if column.role is Role.PSEUDO else known.get(column.name, _NONE)
            for column in node.schema.columns
        )
    if isinstance(node, Filter | Sink):
        return column_labels(node.input, sources)
    if isinstance(node, Join):
        left = column_labels(node.left, sources)
        right = column_labels(node.right, sources)
        combined = node.left.schema.columns + node.right.schema.columns
        by_column = {
            (c.source, c.name): labels for c, labels in zip(combined, left + right, strict=True)
        }
        return tuple(by_column.get((c.source, c.name), _NONE) for c in node.schema.columns)
    inputs = column_labels(node.input, sources)
    evaluation = node.input.schema.evaluation()
    if isinstance(node, Rekey):
        by_name = _by_name(node.input.schema, inputs)
        found: list[Labels] = []
        for index, column in enumerate(node.schema.columns):
            if column.role is Role.KEY and index < len(node.expressions):
                found.append(expression_labels(node.expressions[index], evaluation, inputs))
            else:
                found.append(by_name.get((column.source, column.name), _NONE))
        return tuple(found)
    if isinstance(node, Aggregate):
        groups = [expression_labels(e, evaluation, inputs) for e in node.group_by]
        calls = [expression_labels(call, evaluation, inputs) for call in node.aggregates]
        padding = len(node.schema.columns) - len(groups) - len(calls)  # window bounds
        return tuple(groups + calls + [_NONE] * padding)
    assert isinstance(node, Project)
    named = {
        item.name: expression_labels(item.expression, evaluation, inputs) for item in node.items
    }
    return tuple(named.get(column.name, _NONE) for column in node.schema.columns)


def expression_labels(expression: Expression, schema: Schema, labels: Sequence[Labels]) -> Labels:
    """The labels of ``expression`` over rows of ``schema`` whose columns carry ``labels``."""
    found: set[Classification] = set()

    def walk(part: object) -> None:
        if isinstance(part, Call) and part.name.upper() in REMOVING_FUNCTIONS:
            return
        if isinstance(part, Column):
            try:
                index = schema.resolve(part.name, part.source).index
            except ExpressionError:
                return  # a lambda's parameter, not a column
            found.update(labels[index])
            return
        if isinstance(part, tuple):
            for item in part:
                walk(item)
        elif dataclasses.is_dataclass(part) and not isinstance(part, type):
            for item in dataclasses.fields(part):
                walk(getattr(part, item.name))

    walk(expression)
    return frozenset(found)


def _by_name(schema: RowSchema, labels: Sequence[Labels]) -> dict[tuple[str | None, str], Labels]:
    return {(c.source, c.name): found for c, found in zip(schema.columns, labels, strict=True)}
