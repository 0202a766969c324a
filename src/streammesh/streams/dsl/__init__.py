"""The Python front end: an immutable builder that compiles to the same statements, and so the
same plans, as ksqlDB's SQL.

Example:
    >>> from streammesh.streams.dsl import stream, sum_, tumbling, window_end, window_start
    >>> total = sum_("quantity").alias("total_quantity")
    >>> trending = (
    ...     stream("execution.stocktrades")
    ...     .window(tumbling(size="15 minutes"))
    ...     .group_by("symbol")
    ...     .aggregate("symbol", total, window_start(), window_end())
    ...     .to_product("analytics.trending_stocks")
    ... )
    >>> print(trending.sql())
    CREATE TABLE TRENDING_STOCKS WITH (PRODUCT='analytics.trending_stocks') AS
    SELECT SYMBOL, SUM(QUANTITY) AS TOTAL_QUANTITY, WINDOWSTART, WINDOWEND
      FROM execution.stocktrades
      WINDOW TUMBLING (SIZE 15 MINUTES)
      GROUP BY SYMBOL;

Column expressions build :mod:`streammesh.streams.expressions` nodes through operator
overloading (``> >= < <= == != + - * / %``, ``&`` for AND, ``|`` for OR, ``~`` for NOT), so
``col("price") > 500`` is the node the SQL parser builds for ``price > 500``. Names follow
ksqlDB's identifier rules (``"price"`` is ``PRICE``; back-quote to keep the case). Each
builder step returns a new builder; :meth:`Sink.statement` is the statement the SQL parser
builds for the same pipeline, :meth:`Sink.sql` its text, :meth:`Sink.compile` its plan.
"""

from __future__ import annotations

from streammesh.streams.dsl.builder import (
    Duration,
    Grouped,
    JoinHow,
    Sink,
    Stream,
    duration_ms,
    hopping,
    session,
    stream,
    table,
    tumbling,
)
from streammesh.streams.dsl.columns import (
    Expr,
    avg,
    call,
    case,
    col,
    collect_list,
    collect_set,
    count,
    count_distinct,
    earliest_by_offset,
    latest_by_offset,
    lit,
    max_,
    min_,
    rowtime,
    sum_,
    topk,
    window_end,
    window_start,
)
from streammesh.streams.dsl.errors import DslError, InvalidPipeline, PipelineNotFound
from streammesh.streams.dsl.loading import (
    is_pipeline_argument,
    load_pipeline,
    pipeline_script,
    prepare_source,
    source_stem,
)
from streammesh.streams.dsl.render import expression_sql, script_sql, statement_sql

__all__ = [
    "DslError",
    "Duration",
    "Expr",
    "Grouped",
    "InvalidPipeline",
    "JoinHow",
    "PipelineNotFound",
    "Sink",
    "Stream",
    "avg",
    "call",
    "case",
    "col",
    "collect_list",
    "collect_set",
    "count",
    "count_distinct",
    "duration_ms",
    "earliest_by_offset",
    "expression_sql",
    "hopping",
    "is_pipeline_argument",
    "latest_by_offset",
    "lit",
    "load_pipeline",
    "max_",
    "min_",
    "pipeline_script",
    "prepare_source",
    "rowtime",
    "script_sql",
    "session",
    "source_stem",
    "statement_sql",
    "stream",
    "sum_",
    "table",
    "topk",
    "tumbling",
    "window_end",
    "window_start",
]
