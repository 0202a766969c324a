"""``explain(plan)``: a plan as an indented tree, root first, one node per line with its
columns under it."""

from __future__ import annotations

from streammesh.streams.evaluation.text import text_of
from streammesh.streams.plan.nodes import (
    Aggregate,
    Filter,
    PlanNode,
    Project,
    Rekey,
    Role,
    Sink,
    Source,
    children,
)


def _headline(node: PlanNode) -> str:
    if isinstance(node, Sink):
        return (
            f"Sink {node.name} ({node.kind.value.lower()}, topic {node.topic},"
            f" {node.formats.text()})"
        )
    if isinstance(node, Source):
        alias = f" AS {node.alias}" if node.alias else ""
        timestamp = f", timestamp {node.timestamp_column}" if node.timestamp_column else ""
        return (
            f"Source {node.name}{alias} ({node.kind.value.lower()}, topic {node.topic},"
            f" {node.formats.text()}{timestamp})"
        )
    if isinstance(node, Filter):
        return f"Filter {text_of(node.condition)}"
    if isinstance(node, Rekey):
        return "Rekey PARTITION BY " + ", ".join(text_of(item) for item in node.expressions)
    if isinstance(node, Project):
        return "Project " + ", ".join(
            f"{text_of(item.expression)} AS {item.name}" for item in node.items
        )
    if isinstance(node, Aggregate):
        parts = ["Aggregate GROUP BY " + ", ".join(text_of(item) for item in node.group_by)]
        if node.window is not None:
            parts.append(f"WINDOW {type(node.window).__name__.removesuffix('Window').upper()}")
        parts.append("aggregates " + ", ".join(text_of(call) for call in node.aggregates))
        if node.having is not None:
            parts.append(f"HAVING {text_of(node.having)}")
        parts.append(f"EMIT {node.emit.value}")
        return ", ".join(parts)
    within = f" WITHIN {node.within.before_ms}/{node.within.after_ms} ms" if node.within else ""
    return f"Join {node.kind.value}{within} ON {text_of(node.on)}"


def explain(plan: PlanNode) -> str:
    """The plan as text: each node, then its columns, its inputs indented below it.

    Example::

        Sink OUTPUT (stream, topic OUTPUT, key KAFKA, value JSON)
          columns: ID INTEGER KEY, NAME STRING
          Project ID AS ID, UCASE(NAME) AS NAME
            columns: ID INTEGER KEY, NAME STRING
            Source INPUT (stream, topic input, key KAFKA, value JSON)
              columns: ID INTEGER KEY, NAME STRING
    """
    lines: list[str] = []

    def visit(node: PlanNode, depth: int) -> None:
        pad = "  " * depth
        lines.append(pad + _headline(node))
        shown = [column.text() for column in node.schema.columns if column.role is not Role.PSEUDO]
        lines.append(f"{pad}  columns: {', '.join(shown) if shown else '(none)'}")
        for child in children(node):
            visit(child, depth + 1)

    visit(plan, 0)
    return "\n".join(lines)
