"""Stream processing: derive data products from data products, in ksqlDB's SQL or a Python DSL.

Both front ends compile to one logical plan and run on one engine, on the embedded log and on
Kafka. The pieces, each its own subpackage: ``types`` and ``expressions`` (ksqlDB's types,
expressions and functions), ``sql`` (the ksqlDB dialect on sqlglot), ``formats`` (value and key
formats: JSON, DELIMITED, KAFKA, AVRO), ``state`` (state stores backed by changelog topics) and
``testing`` (ksqlDB's test-runner files).
"""

from __future__ import annotations

from streammesh.streams.dsl import call, col, lit, stream, table
from streammesh.streams.engine import (
    DeadLetter,
    EngineError,
    InvalidWindow,
    PartitionMismatch,
    StreamApplication,
    TaskStats,
    UnsupportedPlan,
)
from streammesh.streams.engine.harness import run_test, run_test_files
from streammesh.streams.errors import StreamsError
from streammesh.streams.evaluation import (
    ExpressionError,
    ExpressionTypeError,
    Schema,
    UnknownColumn,
    compile_aggregate,
    compile_expression,
    compile_predicate,
    type_of,
)
from streammesh.streams.functions import (
    Aggregate,
    FunctionError,
    FunctionFailed,
    FunctionRegistry,
    default_registry,
    udaf,
    udf,
)
from streammesh.streams.plan import (
    DuplicateKey,
    InvalidQuery,
    KeyNotProjected,
    PlanError,
    SourceExists,
    UnknownSource,
    explain,
)
from streammesh.streams.planner import (
    Catalog,
    CatalogEntry,
    PersistentQuery,
    ProductSources,
    Script,
    plan_query,
    plan_statements,
)
from streammesh.streams.products import (
    GrantMissing,
    InputProduct,
    OutputProduct,
    OutputProductInvalid,
    ProductCatalog,
    ProductNotQueryable,
    UnknownProduct,
)
from streammesh.streams.runner import (
    QueryLayout,
    QueryProgress,
    StreamsRunner,
    application_name,
    query_layouts,
)
from streammesh.streams.service import PreparedApplication, StreamsService
from streammesh.streams.state import (
    ChangelogMismatch,
    KeyValueStore,
    RestoreProgress,
    SessionStore,
    StateError,
    StoreContext,
    TaskId,
    WindowStore,
)

__all__ = [
    "Aggregate",
    "Catalog",
    "CatalogEntry",
    "ChangelogMismatch",
    "DeadLetter",
    "DuplicateKey",
    "EngineError",
    "ExpressionError",
    "ExpressionTypeError",
    "FunctionError",
    "FunctionFailed",
    "FunctionRegistry",
    "GrantMissing",
    "InputProduct",
    "InvalidQuery",
    "InvalidWindow",
    "KeyNotProjected",
    "KeyValueStore",
    "OutputProduct",
    "OutputProductInvalid",
    "PartitionMismatch",
    "PersistentQuery",
    "PlanError",
    "PreparedApplication",
    "ProductCatalog",
    "ProductNotQueryable",
    "ProductSources",
    "QueryLayout",
    "QueryProgress",
    "RestoreProgress",
    "Schema",
    "Script",
    "SessionStore",
    "SourceExists",
    "StateError",
    "StoreContext",
    "StreamApplication",
    "StreamsError",
    "StreamsRunner",
    "StreamsService",
    "TaskId",
    "TaskStats",
    "UnknownColumn",
    "UnknownProduct",
    "UnknownSource",
    "UnsupportedPlan",
    "WindowStore",
    "application_name",
    "call",
    "col",
    "compile_aggregate",
    "compile_expression",
    "compile_predicate",
    "default_registry",
    "explain",
    "lit",
    "plan_query",
    "plan_statements",
    "query_layouts",
    "run_test",
    "run_test_files",
    "stream",
    "table",
    "type_of",
    "udaf",
    "udf",
]
