"""ksqlDB's built-in functions, gathered in one registry."""

from __future__ import annotations

from streammesh.streams.functions.aggregates import AGGREGATES
from streammesh.streams.functions.arithmetic import NULLS, NUMERIC
from streammesh.streams.functions.arrays import ARRAYS
from streammesh.streams.functions.json_text import JSON
from streammesh.streams.functions.lambdas import HIGHER_ORDER
from streammesh.streams.functions.registry import FunctionRegistry
from streammesh.streams.functions.strings import STRINGS
from streammesh.streams.functions.temporal import TEMPORAL


def builtin_registry() -> FunctionRegistry:
    """A registry holding every built-in function."""
    registry = FunctionRegistry()
    for function in (*STRINGS, *NUMERIC, *NULLS, *TEMPORAL, *JSON, *ARRAYS):
        registry.scalars[function.name] = function
    for higher in HIGHER_ORDER:
        registry.higher_order[higher.name] = higher
    for aggregate in AGGREGATES:
        registry.aggregates[aggregate.name] = aggregate
    return registry
