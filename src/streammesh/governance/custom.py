"""Custom rules: Python functions other packages register under the entry point group
``streammesh.policies``.

A custom rule has the shape of a built-in one: it takes a
:class:`~streammesh.governance.context.RuleContext` and returns (or yields) the
:class:`~streammesh.products.findings.PolicyFinding` objects it found. Register it in the
package's ``pyproject.toml``::

    [project.entry-points."streammesh.policies"]
    owner-is-a-team-address = "acme_policies:owner_is_a_team_address"
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points

from streammesh.governance.context import RuleContext
from streammesh.governance.errors import CustomRuleUnavailable
from streammesh.products import PolicyFinding

ENTRY_POINT_GROUP = "streammesh.policies"
"""The entry point group custom rules are registered in."""

RuleFunction = Callable[[RuleContext], Iterable[PolicyFinding]]
"""What a rule is: built-in and custom rules alike."""


@dataclass(frozen=True, slots=True)
class CustomRule:
    """A loaded custom rule and the entry point it came from."""

    name: str
    function: RuleFunction


def custom_rules() -> tuple[CustomRule, ...]:
    """Every rule registered under :data:`ENTRY_POINT_GROUP`, by entry point name.

    Raises:
        CustomRuleUnavailable: An entry point cannot be imported or is not callable; a rule
            that silently disappeared would pass every product it was meant to check.
    """
    loaded = []
    for entry in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda item: item.name):
        try:
            function = entry.load()
        except Exception as exc:  # any import failure of a third-party module
            raise CustomRuleUnavailable(entry.name, f"{type(exc).__name__}: {exc}") from exc
        if not callable(function):
            raise CustomRuleUnavailable(entry.name, f"'{entry.value}' is not a function")
        loaded.append(CustomRule(entry.name, function))
    return tuple(loaded)
