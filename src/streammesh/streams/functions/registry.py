"""The function registry: scalar, higher-order and aggregate functions by name.

:func:`default_registry` holds ksqlDB's built-in functions, every function registered with
:func:`~streammesh.streams.functions.udf` / :func:`~streammesh.streams.functions.udaf`, and
those of the ``streammesh.functions`` entry point group once :meth:`FunctionRegistry.
load_plugins` ran.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType
from typing import TYPE_CHECKING

from streammesh.streams.expressions import Position
from streammesh.streams.functions.errors import (
    InvalidFunction,
    PluginLoadFailed,
    UnknownFunction,
    WrongArguments,
)
from streammesh.streams.functions.signatures import Binding, ScalarFunction
from streammesh.streams.types import SqlType

if TYPE_CHECKING:
    from streammesh.streams.functions.aggregates import AggregateFunction
    from streammesh.streams.functions.lambdas import HigherOrderFunction

ENTRY_POINT_GROUP = "streammesh.functions"
"""Entry points of this group name a module (its decorated functions are registered) or one
decorated function."""

FUNCTION_ATTRIBUTE = "__streammesh_function__"
"""Where :func:`udf` and :func:`udaf` leave the definition on the decorated object."""


@dataclass(slots=True)
class FunctionRegistry:
    """Functions by upper-case name."""

    scalars: dict[str, ScalarFunction] = field(default_factory=dict)
    higher_order: dict[str, HigherOrderFunction] = field(default_factory=dict)
    aggregates: dict[str, AggregateFunction] = field(default_factory=dict)

    def names(self) -> list[str]:
        """Every registered name."""
        return sorted({*self.scalars, *self.higher_order, *self.aggregates})

    def register(self, function: ScalarFunction | HigherOrderFunction | AggregateFunction) -> None:
        """Add a function; a user function may not replace a built-in one.

        Raises:
            InvalidFunction: the name is taken by a built-in function.
        """
        from streammesh.streams.functions.aggregates import AggregateFunction
        from streammesh.streams.functions.lambdas import HigherOrderFunction

        name = function.name.upper()
        existing = (
            self.scalars.get(name) or self.higher_order.get(name) or self.aggregates.get(name)
        )
        if existing is not None and not existing.user_defined:
            raise InvalidFunction(name, "a built-in function has that name")
        for table in (self.scalars, self.higher_order, self.aggregates):
            table.pop(name, None)
        if isinstance(function, AggregateFunction):
            self.aggregates[name] = function
        elif isinstance(function, HigherOrderFunction):
            self.higher_order[name] = function
        else:
            self.scalars[name] = function

    def is_aggregate(self, name: str) -> bool:
        """Whether ``name`` is an aggregate function."""
        return name.upper() in self.aggregates

    def unknown(self, name: str, position: Position | None) -> UnknownFunction:
        """The error for a name nobody registered, with the nearest registered one."""
        return UnknownFunction(name, self.names(), position)

    def resolve(
        self, name: str, argument_types: Sequence[SqlType | None], position: Position | None
    ) -> Binding:
        """The overload of scalar function ``name`` for these argument types.

        Raises:
            UnknownFunction: no scalar function has that name.
            WrongArguments: no overload accepts the types.
        """
        function = self.scalars.get(name.upper())
        if function is None:
            raise self.unknown(name, position)
        for overload in function.overloads:
            targets = overload.bind(argument_types)
            if targets is None:
                continue
            try:
                returns = overload.result_type(targets)
            except ValueError as exc:
                raise WrongArguments(
                    function.name, argument_types, function.signatures, position, reason=str(exc)
                ) from None
            if overload.unify:
                targets = tuple(None if kind is None else returns for kind in targets)
            return Binding(
                function.name,
                targets,
                returns,
                overload.implementation,
                overload.null_safe,
                function.deterministic,
                function.user_defined,
            )
        raise WrongArguments(function.name, argument_types, function.signatures, position)

    def load_plugins(self, group: str = ENTRY_POINT_GROUP) -> tuple[PluginLoadFailed, ...]:
        """Register the functions of every entry point of ``group``.

        A plugin that fails to import or to register is reported, not raised, so one broken
        plugin does not keep the others (or the built-ins) from working.

        Returns:
            One error per plugin that failed, naming the entry point.
        """
        failures: list[PluginLoadFailed] = []
        for point in entry_points(group=group):
            failure = self.load_entry_point(point)
            if failure is not None:
                failures.append(failure)
        return tuple(failures)

    def load_entry_point(self, point: EntryPoint) -> PluginLoadFailed | None:
        """Register the functions one entry point names; the failure, if it fails."""
        try:
            loaded = point.load()
            found = _definitions(loaded)
            if not found:
                raise InvalidFunction(point.name, "it names no @udf or @udaf function")
            for definition in found:
                self.register(definition)
        except Exception as exc:  # a plugin is third-party code: report any failure
            return PluginLoadFailed(point.name, point.value, exc)
        return None


def _definitions(
    loaded: object,
) -> list[ScalarFunction | HigherOrderFunction | AggregateFunction]:
    if isinstance(loaded, ModuleType):
        candidates = [getattr(loaded, attribute) for attribute in dir(loaded)]
    else:
        candidates = [loaded]
    found = []
    for candidate in candidates:
        definition = getattr(candidate, FUNCTION_ATTRIBUTE, None)
        if definition is not None and definition not in found:
            found.append(definition)
    return found


_DEFAULT: FunctionRegistry | None = None


def default_registry() -> FunctionRegistry:
    """The process's registry: built-ins plus every ``@udf``/``@udaf`` defined so far."""
    global _DEFAULT
    if _DEFAULT is None:
        from streammesh.streams.functions.builtins import builtin_registry

        _DEFAULT = builtin_registry()
    return _DEFAULT
