"""The stable ids of the built-in policy rules (:class:`RuleId`).

A rule reports a :class:`streammesh.products.findings.PolicyFinding`.
"""

from __future__ import annotations

from enum import StrEnum


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
