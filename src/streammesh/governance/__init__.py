"""Federated computational governance: policies as code, evaluated by the platform.

The governance group sets a global policy (``governance.yaml``); domains may add or tighten
rules with their own. Both live in the mesh (:class:`PolicyRegistry`), so ``plan``/``apply``
on any client or server enforce the same rules. :func:`evaluate` runs the built-in rules (and
custom ones registered under the ``streammesh.policies`` entry point group) against one
product and returns :class:`PolicyFinding` objects; :func:`requires_approval` and
:func:`fields_to_encrypt` tell access control and the privacy layer which products and fields
need protecting. See docs/governance.md.

Only the errors, the rule ids and the proposal statuses are loaded with the package; the
rest (policies, the service, the review, the reports, which load the metadata store) is
loaded on first use, so that the command line's ``--help`` (whose ``--status`` choices are
:class:`ProposalStatus`) does not pay for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
from streammesh.governance.findings import RuleId
from streammesh.governance.proposal_status import NEXT_STATUSES, ProposalStatus
from streammesh.lazy_exports import loaded_on_first_use
from streammesh.products import FindingSeverity, PolicyFinding

if TYPE_CHECKING:
    from streammesh.governance.context import RuleContext
    from streammesh.governance.custom import ENTRY_POINT_GROUP, CustomRule, custom_rules
    from streammesh.governance.evaluation import BUILT_IN_RULES, evaluate
    from streammesh.governance.merging import Loosening, effective_policy, satisfies
    from streammesh.governance.policies import (
        PolicyRecord,
        PolicyRegistry,
        PolicySet,
        load_policies,
    )
    from streammesh.governance.policy import BASELINE, Policy, parse_policy, policy_from
    from streammesh.governance.proposals import Proposal, ProposalRegistry, ProposalStep
    from streammesh.governance.protection import (
        fields_to_encrypt,
        mesh_fields_to_encrypt,
        requires_approval,
    )
    from streammesh.governance.report import ComplianceReport, ProductCompliance, compliance_report
    from streammesh.governance.review import MeshReview
    from streammesh.governance.service import GovernanceService

_LOADED_ON_FIRST_USE = {
    "RuleContext": "streammesh.governance.context",
    "ENTRY_POINT_GROUP": "streammesh.governance.custom",
    "CustomRule": "streammesh.governance.custom",
    "custom_rules": "streammesh.governance.custom",
    "BUILT_IN_RULES": "streammesh.governance.evaluation",
    "evaluate": "streammesh.governance.evaluation",
    "Loosening": "streammesh.governance.merging",
    "effective_policy": "streammesh.governance.merging",
    "satisfies": "streammesh.governance.merging",
    "PolicyRecord": "streammesh.governance.policies",
    "PolicyRegistry": "streammesh.governance.policies",
    "PolicySet": "streammesh.governance.policies",
    "load_policies": "streammesh.governance.policies",
    "BASELINE": "streammesh.governance.policy",
    "Policy": "streammesh.governance.policy",
    "parse_policy": "streammesh.governance.policy",
    "policy_from": "streammesh.governance.policy",
    "Proposal": "streammesh.governance.proposals",
    "ProposalRegistry": "streammesh.governance.proposals",
    "ProposalStep": "streammesh.governance.proposals",
    "fields_to_encrypt": "streammesh.governance.protection",
    "mesh_fields_to_encrypt": "streammesh.governance.protection",
    "requires_approval": "streammesh.governance.protection",
    "ComplianceReport": "streammesh.governance.report",
    "ProductCompliance": "streammesh.governance.report",
    "compliance_report": "streammesh.governance.report",
    "MeshReview": "streammesh.governance.review",
    "GovernanceService": "streammesh.governance.service",
}


__getattr__ = loaded_on_first_use(__name__, _LOADED_ON_FIRST_USE)


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
