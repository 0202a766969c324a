"""A plan compiled to operators: source -> steps -> [aggregate -> steps] -> sink.

``run`` runs the ``Filter``, ``Rekey`` and ``Project`` nodes between the ``Source`` and the
``Sink`` (or the ``Aggregate``) in order, each compiled once (column indexes resolved ahead,
see :mod:`streammesh.streams.evaluation`); ``None`` means the row was filtered out. With a
``GROUP BY``, ``aggregate`` is the ``Aggregate`` node and ``post`` the select list over its
rows (see :mod:`streammesh.streams.engine.aggregation`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, cast

from streammesh.streams.engine.errors import UnsupportedPlan
from streammesh.streams.evaluation.compiler import compile_expression, compile_predicate
from streammesh.streams.expressions import Literal
from streammesh.streams.functions.registry import FunctionRegistry
from streammesh.streams.plan.nodes import (
    Aggregate,
    Filter,
    Join,
    PlanNode,
    Project,
    Rekey,
    Role,
    Sink,
    Source,
)

Row = tuple[Any, ...]
Step = Callable[[Row], Row | None]


@dataclass(frozen=True, slots=True)
class Pipeline:
    """The compiled query: its source, its sink, ``run(row) -> row | None`` and, for a query
    over a table, ``table_key(row)``: the output key of a source row (a table's filtered or
    deleted row becomes a tombstone under that key)."""

    source: Source
    sink: Sink
    run: Step
    table_key: Callable[[Row], Row] | None = None
    aggregate: Aggregate | None = None
    post: Step | None = None
    join: Join | None = None
    """The ``Join`` under the steps: ``run`` then takes its joined rows (``source`` is its
    left side)."""


def compile_pipeline(query_id: str, sink: Sink, registry: FunctionRegistry) -> Pipeline:
    """Compile the plan under ``sink``.

    Raises:
        UnsupportedPlan: the plan aggregates twice, aggregates a join, or joins more than
            two inputs.
    """
    nodes: list[PlanNode] = []
    above: list[PlanNode] = []
    aggregate: Aggregate | None = None
    node: PlanNode = sink.input
    while not isinstance(node, Source):
        if isinstance(node, Aggregate):
            if aggregate is not None:  # pragma: no cover - the planner nests no aggregates
                raise UnsupportedPlan(query_id, "a GROUP BY over a GROUP BY")
            aggregate, above, nodes = node, nodes, []
            node = node.input
            continue
        if isinstance(node, Join):
            if aggregate is not None:
                raise UnsupportedPlan(query_id, "a GROUP BY over a JOIN")
            if not isinstance(node.left, Source):
                raise UnsupportedPlan(query_id, "a JOIN of more than two streams or tables")
            run = _chain([_step(item, registry) for item in reversed(nodes)])
            return Pipeline(node.left, sink, run, join=node)
        if isinstance(node, Sink):  # pragma: no cover - a sink is only ever the root
            raise UnsupportedPlan(query_id, "a nested sink")
        nodes.append(node)
        node = node.input
    run = _chain([_step(item, registry) for item in reversed(nodes)])
    if aggregate is not None:
        post = _chain([_step(item, registry) for item in reversed(above)])
        return Pipeline(node, sink, run, None, aggregate, post)
    table_key = _table_key(nodes[0], registry) if nodes and isinstance(nodes[0], Project) else None
    return Pipeline(node, sink, run, table_key)


def _chain(steps: Sequence[Step]) -> Step:
    if len(steps) == 1:
        return steps[0]
    if len(steps) == 2:
        # The usual WHERE + select list: one call less per row than the loop.
        first, second = steps

        def both(row: Row) -> Row | None:
            kept = first(row)
            return None if kept is None else second(kept)

        return both

    def run(row: Row) -> Row | None:
        current = row
        for step in steps:
            result = step(current)
            if result is None:
                return None
            current = result
        return current

    return run


def _table_key(node: Project, registry: FunctionRegistry) -> Callable[[Row], Row]:
    """The key items of a projection over a table's rows (no PARTITION BY on tables, so the
    projection reads the source row, a filter leaving it unchanged)."""
    schema = node.input.schema.evaluation()
    by_name = {item.name: item for item in node.items}
    evaluators = [
        compile_expression(by_name[column.name].expression, schema, registry=registry)
        for column in node.schema.keys
    ]
    return lambda row: tuple(evaluate(row) for evaluate in evaluators)


def _step(node: PlanNode, registry: FunctionRegistry) -> Step:
    if isinstance(node, Filter):
        return _filter(node, registry)
    if isinstance(node, Rekey):
        return _rekey(node, registry)
    assert isinstance(node, Project)
    return _project(node, registry)


def _key_names(node: PlanNode) -> list[str]:
    """The key columns' names, for error reports; none over a join, whose sides may share
    a name (the key is then ambiguous unqualified)."""
    if isinstance(node, Join) or _joined(node):
        return []
    return [column.name for column in node.schema.keys]


def _joined(node: PlanNode) -> bool:
    while not isinstance(node, Source | Join):
        if isinstance(node, Sink):  # pragma: no cover - a sink is only ever the root
            return False
        node = node.input
    return isinstance(node, Join)


def _filter(node: Filter, registry: FunctionRegistry) -> Step:
    schema = node.input.schema
    keep = compile_predicate(
        node.condition, schema.evaluation(), registry=registry, key_columns=_key_names(node.input)
    )
    return lambda row: row if keep(row) else None


def _rekey(node: Rekey, registry: FunctionRegistry) -> Step:
    schema = node.input.schema.evaluation()
    keys = _key_names(node.input)
    if len(node.expressions) == 1 and isinstance(node.expressions[0], Literal):
        return lambda row: row  # PARTITION BY NULL: same columns, none of them a key
    new_keys = [
        compile_expression(item, schema, registry=registry, key_columns=keys)
        for item in node.expressions
    ]
    taken = {column.name for column in node.schema.keys}
    kept = [i for i, column in enumerate(node.input.schema.columns) if column.name not in taken]

    def rekey(row: Row) -> Row:
        return tuple(evaluate(row) for evaluate in new_keys) + tuple(row[i] for i in kept)

    return rekey


def _project(node: Project, registry: FunctionRegistry) -> Step:
    schema = node.input.schema.evaluation()
    keys = _key_names(node.input)
    by_name = {item.name: item for item in node.items}
    evaluators: Sequence[Callable[[Row], Any]] = [
        compile_expression(
            by_name[column.name].expression, schema, registry=registry, key_columns=keys
        )
        for column in node.schema.columns
    ]

    def project(row: Row) -> Row:
        # A list comprehension: a tuple of a generator costs a generator frame per row.
        return tuple([evaluate(row) for evaluate in evaluators])

    return project


def split(sink: Sink, row: Row) -> tuple[Row, Row]:
    """The key row and the value row of an output row.

    Raises:
        ValueError: ``row`` does not have one value per column of the sink.
    """
    found = _SPLITS.get(id(sink))
    if found is None or found[0] is not sink:
        found = _splitter(sink)
    _sink, width, keys, values = found
    if len(row) != width:
        raise ValueError(f"an output row of {len(row)} values for {width} columns")
    return keys(row), values(row)


_Splitter = tuple[Sink, int, Callable[[Row], Row], Callable[[Row], Row]]
_SPLITS: dict[int, _Splitter] = {}
"""Per sink (by identity, the sink kept so that the id stays its own): its column count and
the key and value getters, so that a row is split without looking at the roles again."""
_SPLITS_MAX = 256


def _splitter(sink: Sink) -> _Splitter:
    columns = sink.schema.columns
    keys = _getter([i for i, column in enumerate(columns) if column.role is Role.KEY])
    values = _getter([i for i, column in enumerate(columns) if column.role is Role.VALUE])
    if len(_SPLITS) >= _SPLITS_MAX:
        _SPLITS.clear()
    found = _SPLITS[id(sink)] = (sink, len(columns), keys, values)
    return found


def _getter(indexes: list[int]) -> Callable[[Row], Row]:
    """``row -> tuple(row[i] for i in indexes)``, in C where it can be."""
    if not indexes:
        return lambda row: ()
    if indexes == list(range(indexes[0], indexes[-1] + 1)):
        start, stop = indexes[0], indexes[-1] + 1
        return lambda row: row[start:stop]
    getter = itemgetter(*indexes)
    if len(indexes) == 1:
        return lambda row: (getter(row),)
    return cast(Callable[[Row], Row], getter)
