"""Governance: policies, the compliance report and governance proposals."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from streammesh.governance import ProposalStatus


class PolicyBody(BaseModel):
    """A policy to set: the content of a ``governance.yaml`` as JSON."""

    model_config = ConfigDict(extra="forbid")

    policy: dict[str, Any] = Field(
        description="The policy document: {rules: {<rule id>: {enabled, severity, ...}}}.",
        examples=[{"rules": {"schema.formats": {"allowed": ["avro"]}}}],
    )


class PolicyDocument(BaseModel):
    """A stored policy (or the baseline when none was set) and the policy in force."""

    domain: str | None = Field(description="The domain; null for the global policy.")
    version: int | None = Field(description="Stored version; null when none was set.")
    policy: dict[str, Any] | None = Field(description="The settings that were set.")
    created_at: datetime | None
    created_by: str | None
    effective: dict[str, Any] = Field(
        description="Every rule's settings in force (global tightened by the domain's)."
    )


class PolicySetDocument(BaseModel):
    """Every stored policy: what ``streammesh validate --server`` evaluates."""

    global_policy: dict[str, Any] | None = Field(alias="global")
    domains: dict[str, dict[str, Any]]


class FindingDocument(BaseModel):
    """One finding of a policy rule."""

    rule: str
    severity: Literal["error", "warning"]
    product: str
    field: str
    message: str
    hint: str


class Summary(BaseModel):
    """Counts over a set of products."""

    products: int
    compliant: int
    errors: int
    warnings: int


class RuleSummary(BaseModel):
    """Findings of one rule."""

    rule: str
    errors: int
    warnings: int
    products: list[str]


class DomainSummary(Summary):
    """One domain's compliance, with its rules."""

    domain: str
    rules: list[RuleSummary]


class ProductComplianceDocument(BaseModel):
    """One published product version's compliance."""

    product: str
    domain: str
    compliant: bool
    errors: int
    warnings: int
    findings: list[FindingDocument]


class ComplianceReportDocument(BaseModel):
    """Every published product against its domain's policy."""

    generated_at: datetime
    summary: Summary
    domains: list[DomainSummary]
    rules: list[RuleSummary]
    products: list[ProductComplianceDocument]


class ProposalBody(BaseModel):
    """A new governance proposal (it starts as a draft)."""

    model_config = ConfigDict(extra="forbid")

    # Checked by the service (InvalidProposal, 422 invalid-proposal), the same refusal as
    # in-process; the model only bounds what is read.
    title: str = Field(max_length=1_000)
    body: str = Field(default="", max_length=200_000)
    rules: list[str] = Field(default_factory=list, description="Rule ids it is about.")


class MoveBody(BaseModel):
    """Move a proposal to its next status."""

    model_config = ConfigDict(extra="forbid")

    status: ProposalStatus
    note: str | None = Field(default=None, max_length=10_000)


class ProposalStepDocument(BaseModel):
    """One status change."""

    status: ProposalStatus
    at: datetime
    by: str
    note: str | None


class ProposalDocument(BaseModel):
    """A governance proposal."""

    id: int
    title: str
    body: str
    rules: list[str]
    status: ProposalStatus
    history: list[ProposalStepDocument]
    created_at: datetime
    created_by: str
    updated_at: datetime
