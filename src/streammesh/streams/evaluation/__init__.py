"""Typing and evaluating expressions with ksqlDB's rules.

``type_of(expression, schema)`` types an expression; ``compile_expression`` and
``compile_predicate`` turn it into a function of a row tuple; ``compile_aggregate`` binds an
aggregate call.
"""

from __future__ import annotations

from streammesh.streams.evaluation.compiler import (
    CompiledAggregate,
    ErrorHandler,
    compile_aggregate,
    compile_expression,
    compile_predicate,
    type_of,
)
from streammesh.streams.evaluation.errors import (
    AmbiguousColumn,
    ExpressionError,
    ExpressionTypeError,
    IncompatibleTypes,
    InvalidCast,
    NullOperand,
    UnknownColumn,
)
from streammesh.streams.evaluation.schema import Schema, SchemaColumn

__all__ = [
    "AmbiguousColumn",
    "CompiledAggregate",
    "ErrorHandler",
    "ExpressionError",
    "ExpressionTypeError",
    "IncompatibleTypes",
    "InvalidCast",
    "NullOperand",
    "Schema",
    "SchemaColumn",
    "UnknownColumn",
    "compile_aggregate",
    "compile_expression",
    "compile_predicate",
    "type_of",
]
