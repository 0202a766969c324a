"""Stream processing: derive data products from data products, in ksqlDB's SQL or a Python DSL.

Both front ends compile to one logical plan and run on one engine, on the embedded log and on
Kafka. The pieces, each its own subpackage: ``types`` and ``expressions`` (ksqlDB's types,
expressions and functions), ``sql`` (the ksqlDB dialect on sqlglot), ``formats`` (value and key
formats: JSON, DELIMITED, KAFKA, AVRO), ``state`` (state stores backed by changelog topics) and
``testing`` (ksqlDB's test-runner files).
"""

from __future__ import annotations

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
    "ChangelogMismatch",
    "ExpressionError",
    "ExpressionTypeError",
    "FunctionError",
    "FunctionFailed",
    "FunctionRegistry",
    "KeyValueStore",
    "RestoreProgress",
    "Schema",
    "SessionStore",
    "StateError",
    "StoreContext",
    "StreamsError",
    "TaskId",
    "UnknownColumn",
    "WindowStore",
    "compile_aggregate",
    "compile_expression",
    "compile_predicate",
    "default_registry",
    "type_of",
    "udaf",
    "udf",
]
