"""ksqlDB's scalar and aggregate functions, and user-defined ones (``@udf``, ``@udaf``, the
``streammesh.functions`` entry point group)."""

from __future__ import annotations

from streammesh.streams.functions.aggregates import Aggregate, AggregateFunction
from streammesh.streams.functions.errors import (
    AggregateNotForTables,
    FunctionError,
    FunctionFailed,
    InvalidFunction,
    PluginLoadFailed,
    UnknownFunction,
    WrongArguments,
)
from streammesh.streams.functions.registry import (
    ENTRY_POINT_GROUP,
    FunctionRegistry,
    default_registry,
)
from streammesh.streams.functions.udf import udaf, udf

__all__ = [
    "ENTRY_POINT_GROUP",
    "Aggregate",
    "AggregateFunction",
    "AggregateNotForTables",
    "FunctionError",
    "FunctionFailed",
    "FunctionRegistry",
    "InvalidFunction",
    "PluginLoadFailed",
    "UnknownFunction",
    "WrongArguments",
    "default_registry",
    "udaf",
    "udf",
]
