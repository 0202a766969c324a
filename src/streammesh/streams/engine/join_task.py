"""A plan's ``Join`` node compiled for the engine, and the join state of one task.

:class:`CompiledJoin` decides, once per query, which operator runs the join (stream-stream,
stream-table, table-table on the primary key, or on a foreign key), where each side's join
value is read (a column index, or a compiled expression of the side's row) and which state
stores a task opens. :class:`JoinTask` opens those stores in a task's
:class:`~streammesh.streams.state.StoreContext` (restored from their changelogs), feeds the
operator and drives the stores through the engine's commits.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any

from streammesh.streams.engine.errors import UnsupportedPlan
from streammesh.streams.engine.join_rows import (
    JoinColumn,
    JoinInput,
    JoinLayout,
    JoinResult,
    Side,
)
from streammesh.streams.engine.join_tables import ForeignKeyJoin, TableTableJoin
from streammesh.streams.engine.joins import Joiner, StreamStreamJoin, StreamTableJoin
from streammesh.streams.evaluation.compiler import compile_expression
from streammesh.streams.expressions import Binary, BinaryOperator, Column, Expression
from streammesh.streams.functions.registry import FunctionRegistry
from streammesh.streams.plan.nodes import Join, Role, Source
from streammesh.streams.sql.statements import SourceKind
from streammesh.streams.state import KeyValueStore, StoreContext, WindowStore
from streammesh.streams.state.store import ChangelogStore

__all__ = ["CompiledJoin", "JoinShape", "JoinTask"]

STREAM_STREAM_CACHE = 200
"""Write-cache size of a stream-stream join's stores (measured faster than the default)."""


class JoinShape(StrEnum):
    """Which operator runs a join."""

    STREAM_STREAM = "stream-stream"
    STREAM_TABLE = "stream-table"
    TABLE_TABLE = "table-table"
    FOREIGN_KEY = "foreign-key table-table"


class CompiledJoin:
    """A ``Join`` node between two sources, compiled once per query.

    Attributes:
        node: The plan node.
        left, right: The sources joined.
        shape: Which operator runs it.
        columns: Per side, where its join value is (index into its rows, or a function).
        keyed: Per side, whether its join value is its record key (the side is then
            partitioned by it; otherwise its records may sit in the wrong partition).

    Raises:
        UnsupportedPlan: a side is not a stream or table read directly (a join of joins), or
            a table is on the left of a stream, or a table side joins on something other
            than its primary key (besides a foreign-key join's left side).
    """

    def __init__(self, query: str, node: Join, registry: FunctionRegistry) -> None:
        if not isinstance(node.left, Source) or not isinstance(node.right, Source):
            raise UnsupportedPlan(query, "a JOIN of more than two streams or tables")
        self.query = query
        self.node = node
        self.left: Source = node.left
        self.right: Source = node.right
        left_table = self.left.kind is SourceKind.TABLE
        right_table = self.right.kind is SourceKind.TABLE
        sides = _split_on(query, node.on, self.left, self.right)
        self.columns: dict[Side, JoinColumn] = {}
        self.keyed: dict[Side, bool] = {}
        for side, source in ((Side.LEFT, self.left), (Side.RIGHT, self.right)):
            expression = sides[side]
            self.columns[side] = _column(expression, source, registry)
            self.keyed[side] = _is_key(expression, source)
        if not left_table and not right_table:
            if node.within is None:
                raise UnsupportedPlan(query, "a stream-stream JOIN without WITHIN")
            self.shape = JoinShape.STREAM_STREAM
        elif not left_table:
            self.shape = JoinShape.STREAM_TABLE
        elif not right_table:
            raise UnsupportedPlan(query, "a JOIN of a TABLE (left) with a STREAM (right)")
        elif self.keyed[Side.LEFT]:
            self.shape = JoinShape.TABLE_TABLE
        else:
            self.shape = JoinShape.FOREIGN_KEY
        if right_table and not self.keyed[Side.RIGHT]:
            raise UnsupportedPlan(
                query, f"a JOIN on a column of table {self.right.name} other than its PRIMARY KEY"
            )
        self.layout = JoinLayout.of(node)

    def store_names(self) -> list[str]:
        """The state stores a task of this join opens (each with a changelog topic), named
        after ksqlDB's."""
        base = f"{self.query}-Join"
        if self.shape is JoinShape.STREAM_STREAM:
            return [f"{base}-this-join-store", f"{base}-other-join-store", f"{base}-outer-shared"]
        if self.shape is JoinShape.STREAM_TABLE:
            return [f"{base}-table"]
        names = [f"{base}-left", f"{base}-right"]
        if self.shape is JoinShape.FOREIGN_KEY:
            names.append(f"{base}-subscriptions")
        return names


def _split_on(query: str, on: Expression, left: Source, right: Source) -> dict[Side, Expression]:
    """The two sides of ``ON a = b``, by the side whose columns each reads."""
    if not isinstance(on, Binary) or on.operator is not BinaryOperator.EQUAL:
        raise UnsupportedPlan(query, "a JOIN whose ON is not an equality")
    found: dict[Side, Expression] = {}
    for operand in (on.left, on.right):
        owners = {_owner(column, left, right) for column in _columns(operand)}
        if len(owners) != 1:
            raise UnsupportedPlan(query, "a JOIN whose ON operand reads both sides (or neither)")
        side = owners.pop()
        if side in found:
            raise UnsupportedPlan(query, "a JOIN whose ON compares columns of one side")
        found[side] = operand
    return found


def _columns(expression: object) -> Iterable[Column]:
    if isinstance(expression, Column):
        yield expression
        return
    if isinstance(expression, Expression):
        for item in dataclasses.fields(expression):
            yield from _columns(getattr(expression, item.name))
    elif isinstance(expression, tuple):
        for part in expression:
            yield from _columns(part)


def _qualifier(source: Source) -> str:
    return source.alias or source.name


def _owner(column: Column, left: Source, right: Source) -> Side:
    if column.source is not None:
        return Side.LEFT if column.source == _qualifier(left) else Side.RIGHT
    names = {c.name for c in left.schema.columns}
    return Side.LEFT if column.name in names else Side.RIGHT


def _column(expression: Expression, source: Source, registry: FunctionRegistry) -> JoinColumn:
    evaluation = source.schema.evaluation()
    if isinstance(expression, Column):
        return evaluation.resolve(expression.name, expression.source).index
    keys = [column.name for column in source.schema.keys]
    evaluate = compile_expression(expression, evaluation, registry=registry, key_columns=keys)
    return lambda row: evaluate(row)


def _is_key(expression: Expression, source: Source) -> bool:
    keys = [column for column in source.schema.columns if column.role is Role.KEY]
    return isinstance(expression, Column) and len(keys) == 1 and expression.name == keys[0].name


class JoinTask:
    """The join state of one task: its stores and the operator over them."""

    def __init__(self, compiled: CompiledJoin, context: StoreContext) -> None:
        self.compiled = compiled
        self.late = 0
        self.stores: list[ChangelogStore[Any]] = []
        self._forget: Callable[[], None] | None = None
        names = compiled.store_names()
        node, layout = compiled.node, compiled.layout
        columns = compiled.columns
        try:
            operator: Joiner
            if compiled.shape is JoinShape.STREAM_STREAM:
                assert node.within is not None
                small = dataclasses.replace(context, cache_max_entries=STREAM_STREAM_CACHE)
                retention = StreamStreamJoin.retention_ms(node.within)
                operator = StreamStreamJoin(
                    node.kind,
                    node.within,
                    left_store=self._open(WindowStore(small, names[0], retention_ms=retention)),
                    right_store=self._open(WindowStore(small, names[1], retention_ms=retention)),
                    shared=self._open(KeyValueStore(small, names[2])),
                    left_column=columns[Side.LEFT],
                    right_column=columns[Side.RIGHT],
                    layout=layout,
                ).process
            elif compiled.shape is JoinShape.STREAM_TABLE:
                lookup = StreamTableJoin(
                    node.kind,
                    table=self._open(KeyValueStore(context, names[0])),
                    stream_column=columns[Side.LEFT],
                    layout=layout,
                )
                self._forget = lookup.forget
                operator = lookup.process
            elif compiled.shape is JoinShape.TABLE_TABLE:
                operator = TableTableJoin(
                    node.kind,
                    left=self._open(KeyValueStore(context, names[0])),
                    right=self._open(KeyValueStore(context, names[1])),
                    layout=layout,
                ).process
            else:
                operator = ForeignKeyJoin(
                    node.kind,
                    left=self._open(KeyValueStore(context, names[0])),
                    right=self._open(KeyValueStore(context, names[1])),
                    subscriptions=self._open(KeyValueStore(context, names[2])),
                    foreign_key_column=columns[Side.LEFT],
                    layout=layout,
                ).process
        except BaseException:
            self.close()
            raise
        self._operator = operator

    def _open(self, store: Any) -> Any:
        self.stores.append(store)
        return store

    def process(self, side: Side, record: JoinInput) -> JoinResult:
        """One record of ``side`` through the operator."""
        return self._operator(side, record)

    def flush(self) -> None:
        """Send the changes since the last commit to the changelogs (inside the engine's
        transaction)."""
        for store in self.stores:
            store.flush()

    def commit(self) -> None:
        """The engine committed: the local files commit too."""
        for store in self.stores:
            store.commit()

    def abort(self) -> None:
        """The engine's transaction aborted: back to the last commit."""
        for store in self.stores:
            store.abort()
        if self._forget is not None:
            self._forget()

    def close(self) -> None:
        """Close the stores (what was not committed is forgotten)."""
        for store in self.stores:
            store.close()
