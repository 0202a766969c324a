"""Errors of the function registry and of function calls (see
:mod:`streammesh.streams.errors`)::

    StreamsError
    └── FunctionError
        ├── UnknownFunction          no scalar or aggregate function by that name
        ├── WrongArguments           no overload accepts these argument types
        ├── InvalidFunction          a UDF/UDAF definition that cannot be registered
        ├── PluginLoadFailed         an entry point of ``streammesh.functions`` that broke
        ├── AggregateNotForTables    an aggregate that cannot retract (stream-only)
        └── FunctionFailed           a function raised while evaluating a row
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from streammesh.streams.errors import StreamsError
from streammesh.streams.evaluation.errors import nearest, where
from streammesh.streams.expressions import Position
from streammesh.streams.types import SqlType, type_text


class FunctionError(StreamsError):
    """Base of errors about functions."""


class UnknownFunction(FunctionError):
    """A call of a function nobody registered; suggests the nearest registered name."""

    def __init__(self, name: str, known: Iterable[str], position: Position | None) -> None:
        self.name = name
        self.position = position
        self.suggestion = nearest(name, known)
        hint = f"; did you mean {self.suggestion}?" if self.suggestion else ""
        super().__init__(f"unknown function {name}{where(position)}{hint}")


class WrongArguments(FunctionError):
    """A call whose argument types no overload of the function accepts.

    Attributes:
        name: The function.
        argument_types: The types given (``None`` for a ``NULL`` literal).
        signatures: The overloads the function has, as text.
    """

    def __init__(
        self,
        name: str,
        argument_types: Sequence[SqlType | None],
        signatures: Sequence[str],
        position: Position | None,
        *,
        reason: str | None = None,
    ) -> None:
        self.name = name
        self.argument_types = tuple(argument_types)
        self.signatures = tuple(signatures)
        self.position = position
        given = ", ".join("NULL" if kind is None else type_text(kind) for kind in argument_types)
        expected = "; ".join(self.signatures)
        detail = f": {reason}" if reason else f"; it takes {expected}" if expected else ""
        super().__init__(f"function {name} does not accept ({given}){where(position)}{detail}")


class InvalidFunction(FunctionError):
    """A user-defined function that cannot be registered (what is wrong is in ``reason``)."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(f"cannot register function {name}: {reason}")


class PluginLoadFailed(FunctionError):
    """An entry point of the ``streammesh.functions`` group that failed to load."""

    def __init__(self, entry_point: str, value: str, cause: BaseException) -> None:
        self.entry_point = entry_point
        self.value = value
        self.cause = cause
        super().__init__(
            f"function plugin {entry_point!r} ({value}) failed to load:"
            f" {type(cause).__name__}: {cause}"
        )


class AggregateNotForTables(FunctionError):
    """An aggregate that cannot undo a contribution, applied to a table (ksqlDB's rule)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        super().__init__(
            f"The aggregation function(s) ({', '.join(self.names)}) cannot be applied to a"
            " table source, only to a stream source."
        )


class FunctionFailed(FunctionError):
    """A function raised while evaluating a row: the event goes to the dead-letter stream.

    Attributes:
        function: The function's name.
        key: The row's key, when the caller gave it.
        cause: What the function raised (also ``__cause__``).
    """

    def __init__(self, function: str, cause: BaseException, key: object = None) -> None:
        self.function = function
        self.key = key
        self.cause = cause
        for_key = f" for key {key!r}" if key is not None else ""
        super().__init__(f"function {function} failed{for_key}: {type(cause).__name__}: {cause}")
