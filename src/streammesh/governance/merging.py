"""A domain's effective policy: the global policy, tightened by the domain's own.

A domain policy may only add or tighten: enable a rule, raise a warning to an error, require
more metadata, add naming patterns and personal-data patterns, protect more classifications,
allow fewer schema formats, partition sizes and regions, ask for a stronger compatibility mode,
shorten retention limits. Anything else is a *loosening*: it is refused when the domain
policy is set, and when a stored domain policy loosens a global one set later, the global
setting stays in force and each product of the domain gets a ``policy.loosening`` finding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from streammesh.governance.findings import RuleId
from streammesh.governance.policy import Policy, Rules, RuleSettings
from streammesh.products import FindingSeverity, PolicyFinding
from streammesh.registry import CompatibilityLevel

_DIRECTIONS = {
    CompatibilityLevel.NONE: frozenset[str](),
    CompatibilityLevel.BACKWARD: frozenset({"backward"}),
    CompatibilityLevel.BACKWARD_TRANSITIVE: frozenset({"backward"}),
    CompatibilityLevel.FORWARD: frozenset({"forward"}),
    CompatibilityLevel.FORWARD_TRANSITIVE: frozenset({"forward"}),
    CompatibilityLevel.FULL: frozenset({"backward", "forward"}),
    CompatibilityLevel.FULL_TRANSITIVE: frozenset({"backward", "forward"}),
}


def satisfies(level: CompatibilityLevel, minimum: CompatibilityLevel) -> bool:
    """Whether a subject at ``level`` is at least as strict as ``minimum``.

    ``FULL`` covers ``BACKWARD`` and ``FORWARD``; a ``*_TRANSITIVE`` level covers its
    non-transitive one; ``NONE`` covers only ``NONE``.
    """
    if not _DIRECTIONS[level] >= _DIRECTIONS[minimum]:
        return False
    return not (minimum.value.endswith("_TRANSITIVE") and not level.value.endswith("_TRANSITIVE"))


@dataclass(frozen=True, slots=True)
class Loosening:
    """One setting of a domain policy that relaxes the global policy."""

    rule: str
    setting: str
    global_value: str
    domain_value: str

    def finding(self, product: str = "") -> PolicyFinding:
        """This loosening as a ``policy.loosening`` finding (about ``product``, if any)."""
        return PolicyFinding(
            RuleId.POLICY_LOOSENING.value,
            FindingSeverity.ERROR,
            product,
            f"rules.{self.rule}.{self.setting}",
            f"the domain policy sets '{self.rule}' {self.setting} to {self.domain_value}, "
            f"looser than the global policy's {self.global_value}",
            f"remove '{self.setting}' of '{self.rule}' from the domain policy, or set it to "
            f"{self.global_value} or stricter",
        )


def _show(value: Any) -> str:
    if isinstance(value, frozenset | set | tuple | list):
        return "[" + ", ".join(sorted(str(getattr(item, "value", item)) for item in value)) + "]"
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(f"{getattr(k, 'value', k)}: {v}" for k, v in sorted(value.items()))
            + "}"
        )
    return f"'{getattr(value, 'value', value)}'"


_STRICTER = {FindingSeverity.WARNING: 0, FindingSeverity.ERROR: 1}


def effective_policy(
    global_policy: Policy, domain_policy: Policy | None
) -> tuple[Policy, list[Loosening]]:
    """The policy in force for a domain, and the domain policy's loosenings (which are ignored).

    Only the settings the domain policy states are merged (a setting it leaves out keeps the
    global value, rather than the baseline's).
    """
    if domain_policy is None:
        return global_policy, []
    stated = domain_policy.rules.model_fields_set
    merged: dict[str, RuleSettings] = {}
    found: list[Loosening] = []
    for attribute, info in Rules.model_fields.items():
        rule = info.alias or attribute
        base: RuleSettings = getattr(global_policy.rules, attribute)
        if attribute not in stated:
            merged[attribute] = base
            continue
        local: RuleSettings = getattr(domain_policy.rules, attribute)
        merged[attribute] = _merge_rule(rule, base, local, local.model_fields_set, found)
    return Policy(rules=Rules.model_validate(merged)), found


def _merge_rule(
    rule: str, base: RuleSettings, local: RuleSettings, stated: set[str], found: list[Loosening]
) -> RuleSettings:
    values = base.model_dump()
    for setting in stated:
        wanted = getattr(local, setting)
        current = getattr(base, setting)
        tighter, loosened = _tighten(setting, current, wanted)
        if loosened:
            found.append(Loosening(rule, setting, _show(current), _show(wanted)))
        else:
            values[setting] = tighter
    return type(base).model_validate(values)


def _tighten(setting: str, current: Any, wanted: Any) -> tuple[Any, bool]:
    """The stricter of two values of ``setting``, and whether ``wanted`` is looser."""
    if setting == "enabled":
        return current or wanted, current and not wanted
    if setting == "severity":
        return max(current, wanted, key=_STRICTER.__getitem__), _STRICTER[wanted] < _STRICTER[
            current
        ]
    if setting == "compacted_exempt":
        return current and wanted, wanted and not current
    if isinstance(current, CompatibilityLevel):
        if satisfies(wanted, current):
            return wanted, False
        return current, True
    if setting in ("allowed", "regions"):
        # Allow-lists: a domain may allow less. An empty region list allows every region.
        if setting == "regions" and not current:
            return wanted, False
        if setting == "regions" and not wanted:
            return current, True
        return wanted, not wanted <= current
    if setting == "limits":
        merged = dict(current)
        loosened = False
        for key, window in wanted.items():
            if key in merged and window > merged[key]:
                loosened = True
            else:
                merged[key] = min(window, merged.get(key, window))
        return merged, loosened
    if isinstance(current, frozenset):
        # Sets of things to enforce (protected classifications): a domain adds to them.
        return current | wanted, False
    if isinstance(current, tuple):
        # Lists of requirements (metadata, patterns): a domain adds to them.
        return current + tuple(item for item in wanted if item not in current), False
    return wanted, False
