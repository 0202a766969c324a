"""Errors of governance: policies, their rules and governance proposals.

::

    PolicyViolation (GovernanceError)
    ├── PolicyInvalid            a policy file that is not YAML or breaks the policy's shape
    ├── PolicyLoosened           a domain policy that relaxes a rule of the global policy
    ├── CustomRuleUnavailable    a ``streammesh.policies`` entry point that cannot be loaded
    ├── ProposalNotFound         no governance proposal with that id
    └── ProposalTransitionRefused  a proposal cannot move to that status from its current one
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from streammesh.errors import MeshError

if TYPE_CHECKING:
    from streammesh.products import PolicyFinding


class GovernanceError(MeshError):
    """Base of governance errors."""


PolicyViolation = GovernanceError
"""The name the style guide gives the governance package's base error."""


class PolicyInvalid(GovernanceError):
    """A policy document that cannot be used; nothing was stored."""

    exit_code = 2

    def __init__(self, origin: str, problems: Sequence[str]) -> None:
        self.origin = origin
        self.problems = tuple(problems)
        listed = "; ".join(self.problems[:5])
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(
            f"policy '{origin}' is invalid: {listed}{more}; docs/governance.md lists every rule "
            "and its parameters"
        )


class PolicyLoosened(GovernanceError):
    """A domain policy relaxes the global policy; nothing was stored."""

    def __init__(self, domain: str, findings: Sequence[PolicyFinding]) -> None:
        self.domain = domain
        self.findings = tuple(findings)
        listed = "; ".join(finding.message for finding in self.findings[:5])
        super().__init__(
            f"the policy of domain '{domain}' loosens the global policy ({listed}); a domain may "
            "only add or tighten rules: remove those settings, or ask the governance group to "
            "change the global policy ('streammesh governance proposals create ...')"
        )


class CustomRuleUnavailable(GovernanceError):
    """A custom rule's entry point cannot be loaded or is not callable."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(
            f"custom policy rule '{name}' (entry point group 'streammesh.policies') cannot be "
            f"used: {reason}; fix or uninstall the package that provides it"
        )


class ProposalNotFound(GovernanceError):
    """No governance proposal has that id."""

    def __init__(self, proposal_id: int) -> None:
        self.proposal_id = proposal_id
        super().__init__(
            f"governance proposal '{proposal_id}' does not exist; "
            "'streammesh governance proposals list' shows them"
        )


class InvalidProposal(GovernanceError):
    """A proposal's title or body outside what a proposal may hold; nothing is written."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"invalid governance proposal: {reason}")


class ProposalTransitionRefused(GovernanceError):
    """A proposal asked to move to a status its current one does not lead to."""

    def __init__(self, proposal_id: int, current: str, wanted: str, allowed: Sequence[str]) -> None:
        self.proposal_id = proposal_id
        self.current = current
        self.wanted = wanted
        self.allowed = tuple(allowed)
        options = ", ".join(f"'{status}'" for status in self.allowed) or "nothing (it is final)"
        super().__init__(
            f"governance proposal '{proposal_id}' is '{current}' and cannot move to '{wanted}'; "
            f"from '{current}' it can move to {options}"
        )
