"""What a policy rule reports: :class:`PolicyFinding`, with its rule id and severity."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class FindingSeverity(StrEnum):
    """Errors block ``apply`` and fail ``validate``; warnings are shown and let them go ahead."""

    ERROR = "error"
    WARNING = "warning"


class RuleId(StrEnum):
    """The stable ids of the built-in rules (custom rules bring their own ids)."""

    METADATA_REQUIRED = "metadata.required"
    NAMING_CONVENTION = "naming.convention"
    SCHEMA_FORMATS = "schema.formats"
    SCHEMA_COMPATIBILITY = "schema.compatibility"
    SCHEMA_FIELD_DOCS = "schema.field-docs"
    PERSONAL_DATA = "fields.personal-data"
    PROTECTED_FIELDS = "fields.protected"
    SLA_UPSTREAM = "sla.upstream-tier"
    PARTITION_SIZES = "partitions.sizes"
    PARTITIONS_CO_KEYED = "partitions.co-keyed"
    DELTA_CROSS_DOMAIN = "events.delta-cross-domain"
    RETENTION_CLASSIFICATION = "retention.classification"
    REGIONS_ALLOWED = "regions.allowed"
    POLICY_LOOSENING = "policy.loosening"
    """Not a rule of the policy file: a domain policy that tries to relax a global rule."""
    CUSTOM_FAILED = "policy.custom-failed"
    """A custom rule raised instead of returning findings."""


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
