"""Higher-order functions: ``TRANSFORM``, ``FILTER`` and ``REDUCE`` take lambdas.

Their typing depends on the lambdas' bodies, so the expression checker types and compiles
them itself (:mod:`streammesh.streams.evaluation.checker`); this module only lists them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class HigherOrderFunction:
    """A function with lambda arguments (typed and compiled by the expression checker)."""

    name: str
    signatures: tuple[str, ...]
    description: str
    user_defined: bool = False
    category: str = "Invocation"


HIGHER_ORDER: tuple[HigherOrderFunction, ...] = (
    HigherOrderFunction(
        "TRANSFORM",
        ("TRANSFORM(ARRAY, x => ...)", "TRANSFORM(MAP, (k, v) => ..., (k, v) => ...)"),
        "Each element through a lambda; for a map, one lambda for keys and one for values.",
    ),
    HigherOrderFunction(
        "FILTER",
        ("FILTER(ARRAY, x => ...)", "FILTER(MAP, (k, v) => ...)"),
        "The elements (entries) for which the lambda is true.",
    ),
    HigherOrderFunction(
        "REDUCE",
        ("REDUCE(ARRAY, state, (s, x) => ...)", "REDUCE(MAP, state, (s, k, v) => ...)"),
        "Folds the collection into a state; a NULL initial state gives NULL.",
    ),
)
