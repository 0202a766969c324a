"""Federated computational governance: policies as code, evaluated by the platform.

The governance group sets a global policy (``governance.yaml``); domains may add or tighten
rules with their own. Both live in the mesh (:class:`PolicyRegistry`), so ``plan``/``apply``
on any client or server enforce the same rules. :func:`evaluate` runs the built-in rules (and
custom ones registered under the ``streammesh.policies`` entry point group) against one
product and returns :class:`PolicyFinding` objects; :func:`requires_approval` and
:func:`fields_to_encrypt` tell access control and the privacy layer which products and fields
need protecting. See docs/governance.md.
"""

from __future__ import annotations

from streammesh.governance.context import RuleContext
from streammesh.governance.custom import ENTRY_POINT_GROUP, CustomRule, custom_rules
from streammesh.governance.errors import (
    CustomRuleUnavailable,
    GovernanceError,
    InvalidProposal,
    PolicyInvalid,
    PolicyLoosened,
    PolicyViolation,
    ProposalNotFound,
    ProposalTransitionRefused,
)
from streammesh.governance.evaluation import BUILT_IN_RULES, evaluate
from streammesh.governance.findings import RuleId
from streammesh.governance.merging import Loosening, effective_policy, satisfies
from streammesh.governance.policies import PolicyRecord, PolicyRegistry, PolicySet, load_policies
from streammesh.governance.policy import BASELINE, Policy, parse_policy, policy_from
from streammesh.governance.proposals import (
    NEXT_STATUSES,
    Proposal,
    ProposalRegistry,
    ProposalStatus,
    ProposalStep,
)
from streammesh.governance.protection import (
    fields_to_encrypt,
    mesh_fields_to_encrypt,
    requires_approval,
)
from streammesh.governance.report import ComplianceReport, ProductCompliance, compliance_report
from streammesh.governance.review import MeshReview
from streammesh.governance.service import GovernanceService
from streammesh.products import FindingSeverity, PolicyFinding

__all__ = [
    "BASELINE",
    "BUILT_IN_RULES",
    "ENTRY_POINT_GROUP",
    "NEXT_STATUSES",
    "ComplianceReport",
    "CustomRule",
    "CustomRuleUnavailable",
    "FindingSeverity",
    "GovernanceError",
    "GovernanceService",
    "InvalidProposal",
    "Loosening",
    "MeshReview",
    "Policy",
    "PolicyFinding",
    "PolicyInvalid",
    "PolicyLoosened",
    "PolicyRecord",
    "PolicyRegistry",
    "PolicySet",
    "PolicyViolation",
    "ProductCompliance",
    "Proposal",
    "ProposalNotFound",
    "ProposalRegistry",
    "ProposalStatus",
    "ProposalStep",
    "ProposalTransitionRefused",
    "RuleContext",
    "RuleId",
    "compliance_report",
    "custom_rules",
    "effective_policy",
    "evaluate",
    "fields_to_encrypt",
    "load_policies",
    "mesh_fields_to_encrypt",
    "parse_policy",
    "policy_from",
    "requires_approval",
    "satisfies",
]
