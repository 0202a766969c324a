"""What a policy rule reports about a product: :class:`PolicyFinding`, with its severity.

It lives with the products because both sides of a check use it: the governance rules that
produce findings and the descriptor checks (``streammesh validate``, ``plan``) that report them.
The rule ids of the built-in rules are :class:`streammesh.governance.RuleId`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class FindingSeverity(StrEnum):
    """Errors block ``apply`` and fail ``validate``; warnings are shown and let them go ahead."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class PolicyFinding:
    """One way a product breaks a policy rule.

    Attributes:
        rule: The rule's stable id, e.g. ``fields.personal-data`` (a :class:`RuleId` value for
            built-in rules, any dotted id for custom ones).
        severity: Whether it blocks ``apply``.
        product: The product version it is about (``<name>.v<N>``).
        field: The field path it is about: a schema field (``customer.email``) or a
            descriptor field (``sla.tier``); empty when it is about the whole product.
        message: What is wrong, with the names in quotes.
        hint: What to do about it.
    """

    rule: str
    severity: FindingSeverity
    product: str
    field: str
    message: str
    hint: str

    @property
    def is_error(self) -> bool:
        return self.severity is FindingSeverity.ERROR

    def document(self) -> dict[str, Any]:
        """The JSON shape of this finding (CLI ``--json`` and the REST API)."""
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "product": self.product,
            "field": self.field,
            "message": self.message,
            "hint": self.hint,
        }
