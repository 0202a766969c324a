"""Policies, the compliance report and proposals through the SDK's mesh client, in-process and
remote alike: a change made through the client is what it then reads, and refusals are the same
error classes.

Tests share the module's mesh: each sets the policy of its own new domain, never the global one.
"""

from __future__ import annotations

import pytest

from streammesh.governance import (
    InvalidProposal,
    PolicyInvalid,
    PolicyLoosened,
    ProposalNotFound,
    ProposalStatus,
    ProposalTransitionRefused,
)
from streammesh.sdk import MeshClient
from tests.conformance.client.conftest import unique

POLICY_FIELDS = {"domain", "version", "policy", "created_at", "created_by", "effective"}
PROPOSAL_FIELDS = {"id", "title", "body", "rules", "status", "history"}


def test_a_domain_policy_set_through_the_client_is_in_force(client: MeshClient) -> None:
    domain = unique("gov")
    governance = client.governance
    before = governance.policy(domain)
    assert set(before) == POLICY_FIELDS
    assert (before["domain"], before["version"], before["policy"]) == (domain, None, None)

    rules = {"rules": {"regions.allowed": {"regions": ["eu-west-1"]}}}
    stored = governance.set_policy(rules, domain=domain)

    assert stored["version"] == 1 and stored["domain"] == domain
    assert stored["policy"]["rules"]["regions.allowed"]["regions"] == ["eu-west-1"]
    assert stored["effective"]["rules"]["regions.allowed"]["regions"] == ["eu-west-1"]
    assert governance.policy(domain) == stored
    assert governance.policies()["domains"][domain] == stored["policy"]
    assert governance.set_policy(rules, domain=domain)["version"] == 2


def test_an_invalid_policy_is_refused_and_nothing_is_stored(client: MeshClient) -> None:
    domain = unique("gov")
    with pytest.raises(PolicyInvalid, match=r"no\.such\.rule") as refused:
        client.governance.set_policy({"rules": {"no.such.rule": {}}}, domain=domain)
    assert refused.value.problems
    assert client.governance.policy(domain)["version"] is None
    assert domain not in client.governance.policies()["domains"]


def test_a_domain_policy_may_not_loosen_the_global_one(client: MeshClient) -> None:
    domain = unique("gov")
    with pytest.raises(PolicyLoosened, match="looser than the global") as refused:
        client.governance.set_policy(
            {"rules": {"fields.personal-data": {"enabled": False}}}, domain=domain
        )
    assert refused.value.domain == domain
    assert [finding.rule for finding in refused.value.findings] == ["policy.loosening"]
    assert "fields.personal-data" in refused.value.findings[0].message
    assert client.governance.policy(domain)["version"] is None


def test_a_proposal_moves_through_its_statuses(client: MeshClient) -> None:
    governance = client.governance
    title = unique("Allow protobuf ")
    created = governance.propose(title, body="Teams ask for it.", rules=["schema.formats"])
    assert set(created) >= PROPOSAL_FIELDS
    assert (created["status"], created["rules"]) == ("draft", ["schema.formats"])
    assert governance.proposal(created["id"]) == created
    assert [item["id"] for item in governance.proposals(title)] == [created["id"]]
    assert governance.proposals(title, status=ProposalStatus.ACCEPTED) == []

    moved = governance.move(created["id"], ProposalStatus.IN_REVIEW, note="discussed")
    assert moved["status"] == "in-review"
    assert [step["status"] for step in moved["history"]] == ["draft", "in-review"]
    assert moved["history"][-1]["note"] == "discussed"
    found = governance.proposals(title, status=ProposalStatus.IN_REVIEW)
    assert [item["id"] for item in found] == [created["id"]]


def test_proposal_refusals_are_the_same_errors(client: MeshClient) -> None:
    governance = client.governance
    created = governance.propose(unique("Refused "))
    with pytest.raises(ProposalTransitionRefused, match="cannot move to 'implemented'") as refused:
        governance.move(created["id"], ProposalStatus.IMPLEMENTED)
    assert (refused.value.proposal_id, refused.value.current) == (created["id"], "draft")
    assert refused.value.allowed == ("in-review",)
    assert governance.proposal(created["id"])["status"] == "draft"
    with pytest.raises(ProposalNotFound) as missing:
        governance.proposal(2_000_000_000)
    assert missing.value.proposal_id == 2_000_000_000


@pytest.mark.parametrize(
    ("title", "body", "reason"),
    [
        ("", "", "the title is empty"),
        ("   ", "", "the title is empty"),
        ("t" * 201, "", "at most 200"),
        ("Fine title", "b" * 100_001, "at most 100000"),
    ],
)
def test_a_proposal_without_a_title_or_too_long_is_refused_and_not_written(
    client: MeshClient, title: str, body: str, reason: str
) -> None:
    before = len(client.governance.proposals())
    with pytest.raises(InvalidProposal, match=reason):
        client.governance.propose(title, body=body)
    assert len(client.governance.proposals()) == before


def test_the_compliance_report_counts_published_products(client: MeshClient) -> None:
    report = client.governance.report()
    assert {"summary", "domains", "rules", "products"} <= set(report)
    summary = report["summary"]
    assert summary["products"] == len(report["products"])
    assert 0 <= summary["compliant"] <= summary["products"]
