"""What a rule sees of a product and of the mesh around it: :class:`RuleContext`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from streammesh.governance.policy import Policy, RuleSettings
from streammesh.products import Classification, Descriptor, FindingSeverity, PolicyFinding
from streammesh.registry import CompatibilityLevel
from streammesh.schemas import SchemaField


@dataclass(frozen=True, slots=True)
class RuleContext:
    """One product under evaluation, with what is known around it.

    Attributes:
        descriptor: The product's descriptor.
        policy: The policy in force for the product's domain.
        fields: The value schema's fields; ``None`` when the schema is not at hand (rules
            about fields are then skipped).
        compatibility: The compatibility mode of the product's value subject in the registry
            (the registry's global mode for a new subject); ``None`` without a registry.
        mesh: The mesh's live (not retired) product versions, other than this one; ``None``
            offline (rules that compare with other products are then skipped).
    """

    descriptor: Descriptor
    policy: Policy
    fields: tuple[SchemaField, ...] | None = None
    compatibility: CompatibilityLevel | None = None
    mesh: Sequence[Descriptor] | None = None

    @property
    def product(self) -> str:
        """The product version, ``<name>.v<N>``."""
        return self.descriptor.topic

    def finding(
        self, rule: str, settings: RuleSettings, field: str, message: str, hint: str
    ) -> PolicyFinding:
        """A finding of ``rule`` at the severity its settings give."""
        return PolicyFinding(rule, settings.severity, self.product, field, message, hint)

    def schema_paths(self) -> frozenset[str] | None:
        """The schema's field paths, or ``None`` when the schema is not at hand."""
        return None if self.fields is None else frozenset(field.path for field in self.fields)

    def classified(self) -> Iterator[tuple[str, frozenset[Classification]]]:
        """Classified fields that exist in the schema (all of them when it is not at hand).

        A classification of a field the schema lacks is already an error of its own
        (``classification.unknown-field``), so rules do not report it a second time.
        """
        paths = self.schema_paths()
        for path, labels in self.descriptor.classifications.items():
            if paths is None or path in paths:
                yield path, frozenset(labels)


def severity_of(findings: Sequence[PolicyFinding]) -> FindingSeverity | None:
    """The worst severity among ``findings`` (``None`` when there are none)."""
    if any(finding.is_error for finding in findings):
        return FindingSeverity.ERROR
    return FindingSeverity.WARNING if findings else None
