"""Evaluating the policy against one product: :func:`evaluate`."""

from __future__ import annotations

from collections.abc import Sequence

from streammesh.governance.context import RuleContext
from streammesh.governance.contract_rules import (
    allowed_regions,
    delta_cross_domain,
    naming_convention,
    partition_sizes,
    required_metadata,
    retention_limits,
    schema_formats,
)
from streammesh.governance.custom import CustomRule, RuleFunction, custom_rules
from streammesh.governance.findings import RuleId
from streammesh.governance.merging import Loosening
from streammesh.governance.mesh_rules import co_keyed_partitions, upstream_sla
from streammesh.governance.policy import BASELINE, Policy, RuleSettings
from streammesh.governance.schema_rules import (
    field_docs,
    minimum_compatibility,
    personal_data,
    protected_fields,
)
from streammesh.products import Descriptor, FindingSeverity, PolicyFinding
from streammesh.registry import CompatibilityLevel
from streammesh.schemas import SchemaField

BUILT_IN_RULES: tuple[tuple[str, RuleFunction], ...] = (
    ("metadata_required", required_metadata),
    ("naming_convention", naming_convention),
    ("schema_formats", schema_formats),
    ("schema_compatibility", minimum_compatibility),
    ("schema_field_docs", field_docs),
    ("personal_data", personal_data),
    ("protected_fields", protected_fields),
    ("sla_upstream", upstream_sla),
    ("partition_sizes", partition_sizes),
    ("co_keyed", co_keyed_partitions),
    ("delta_cross_domain", delta_cross_domain),
    ("retention", retention_limits),
    ("regions", allowed_regions),
)
"""Each built-in rule with the attribute of :class:`~streammesh.governance.policy.Rules`
holding its settings."""


def evaluate(
    descriptor: Descriptor,
    *,
    policy: Policy = BASELINE,
    fields: Sequence[SchemaField] | None = None,
    compatibility: CompatibilityLevel | None = None,
    mesh: Sequence[Descriptor] | None = None,
    loosenings: Sequence[Loosening] = (),
    custom: Sequence[CustomRule] | None = None,
) -> list[PolicyFinding]:
    """Every finding of ``policy``'s rules (built-in, then custom) about one product.

    Args:
        descriptor: The product.
        policy: The policy in force for its domain (see
            :func:`streammesh.governance.merging.effective_policy`).
        fields: The value schema's fields; without them, rules about fields are skipped.
        compatibility: The value subject's compatibility mode; without it,
            ``schema.compatibility`` is skipped.
        mesh: The mesh's other live products; without them, ``sla.upstream-tier`` and
            ``partitions.co-keyed`` are skipped.
        loosenings: The loosenings of the domain's policy, reported as ``policy.loosening``.
        custom: The custom rules (default: those registered under ``streammesh.policies``).

    Example:
        >>> [finding.rule for finding in evaluate(descriptor, fields=schema.fields())]
        ['fields.personal-data']
    """
    others = None if mesh is None else [item for item in mesh if item.topic != descriptor.topic]
    context = RuleContext(
        descriptor, policy, None if fields is None else tuple(fields), compatibility, others
    )
    found = [loosening.finding(context.product) for loosening in loosenings]
    for attribute, rule in BUILT_IN_RULES:
        settings: RuleSettings = getattr(policy.rules, attribute)
        if settings.enabled:
            found.extend(rule(context))
    for extra in custom_rules() if custom is None else custom:
        found.extend(_run_custom(extra, context))
    return found


def _run_custom(rule: CustomRule, context: RuleContext) -> list[PolicyFinding]:
    try:
        results = list(rule.function(context))
    except Exception as exc:  # a third-party rule's bug must not crash plan or validate
        return [
            PolicyFinding(
                RuleId.CUSTOM_FAILED.value,
                FindingSeverity.ERROR,
                context.product,
                "",
                f"custom rule '{rule.name}' failed: {type(exc).__name__}: {exc}",
                "fix the rule's package; a rule that cannot run blocks what it was meant to check",
            )
        ]
    wrong = [item for item in results if not isinstance(item, PolicyFinding)]
    if wrong:
        return [
            PolicyFinding(
                RuleId.CUSTOM_FAILED.value,
                FindingSeverity.ERROR,
                context.product,
                "",
                f"custom rule '{rule.name}' returned {type(wrong[0]).__name__}, not PolicyFinding",
                "return streammesh.governance.PolicyFinding objects from the rule",
            )
        ]
    return results
