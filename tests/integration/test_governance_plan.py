"""Policies enforced by ``plan``/``apply`` on a real mesh (embedded log, SQLite store): each
built-in rule refuses a descriptor that breaks it, with its rule id, field path and hint."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from streammesh.audit import AuditAction
from streammesh.config import MeshConfig
from streammesh.control import PlanRefused, ProductSource, Severity
from streammesh.governance import (
    GovernanceService,
    PolicyLoosened,
    RuleId,
    policy_from,
)
from streammesh.registry.base import CompatibilityLevel
from streammesh.runtime import MeshRuntime

FIELDS: list[dict[str, Any]] = [
    {"name": "trade_id", "type": "string", "doc": "Identifier."},
    {"name": "symbol", "type": "string", "doc": "Ticker."},
    {"name": "price", "type": "double", "doc": "Price."},
]


def schema(*extra: dict[str, Any]) -> str:
    return json.dumps({"type": "record", "name": "Trade", "fields": [*FIELDS, *extra]})


def source(
    name: str = "execution.trades",
    *,
    extra: str = "",
    fields: tuple[dict[str, Any], ...] = (),
    replace: dict[str, str] | None = None,
    schema_text: str | None = None,
) -> ProductSource:
    text = (
        f"name: {name}\n"
        "owner: {name: Ada Lovelace, email: ada@example.com}\n"
        "team: execution-team\n"
        "description: Executed trades.\n"
        "alignment: source\n"
        "kind: measurement\n"
        "key: {field: trade_id, type: string}\n"
        "schema: trades.avsc\n"
        "partitions: s\n"
        "retention: full-history\n"
        "sla: {tier: 2}\n"
        "status: published\n"
        f"{extra}"
    )
    for old, new in (replace or {}).items():
        assert old in text
        text = text.replace(old, new)
    return ProductSource.parse(text, schema_text or schema(*fields), origin=f"{name}.yaml")


@pytest.fixture
def mesh(tmp_path: Path) -> Iterator[MeshRuntime]:
    opened = MeshRuntime.open(MeshConfig.load(tmp_path / "mesh"))
    yield opened
    opened.close()


@pytest.fixture
def governance(mesh: MeshRuntime) -> GovernanceService:
    return GovernanceService(mesh.store, mesh.plane, mesh.registry)


@dataclass(frozen=True)
class Case:
    """A rule, the global policy that switches it on (if the baseline does not), what has to
    be in the mesh first, and a descriptor that breaks it."""

    rule: RuleId
    field: str
    hint: str
    broken: ProductSource
    policy: dict[str, Any] | None = None
    first: ProductSource | None = None
    compatibility: CompatibilityLevel | None = None


EMAIL = {"name": "customer_email", "type": "string", "doc": "Who bought."}
CASES = [
    Case(
        RuleId.METADATA_REQUIRED,
        "links.runbook",
        "set `links.runbook`",
        source(),
        policy={"rules": {"metadata.required": {"fields": ["links.runbook"]}}},
    ),
    Case(
        RuleId.NAMING_CONVENTION,
        "name",
        "rename the product",
        source("execution.stock-trades"),
        policy={"rules": {"naming.convention": {"product": r"^[a-z]+\.[a-z]+$"}}},
    ),
    Case(
        RuleId.SCHEMA_FORMATS,
        "schema.format",
        "one of: json",
        source(),
        policy={"rules": {"schema.formats": {"allowed": ["json"]}}},
    ),
    Case(
        RuleId.SCHEMA_COMPATIBILITY,
        "schema",
        "--set BACKWARD",
        source(),
        compatibility=CompatibilityLevel.NONE,
    ),
    Case(
        RuleId.SCHEMA_FIELD_DOCS,
        "venue",
        "describe 'venue'",
        source(fields=({"name": "venue", "type": "string"},)),
        policy={"rules": {"schema.field-docs": {"enabled": True}}},
    ),
    Case(
        RuleId.PERSONAL_DATA,
        "customer_email",
        "classifications: {customer_email: [pii]}",
        source(fields=(EMAIL,)),
    ),
    Case(
        RuleId.PROTECTED_FIELDS,
        "trade_id",
        "surrogate identifier",
        source(extra="classifications: {trade_id: [financial]}\n"),
    ),
    Case(
        RuleId.SLA_UPSTREAM,
        "sla.tier",
        "tier: 4",
        source(
            "execution.positions",
            replace={"tier: 2": "tier: 1"},
            extra="upstreams: [execution.trades]\n",
        ),
        first=source(replace={"tier: 2": "tier: 4"}),
    ),
    Case(
        RuleId.PARTITION_SIZES,
        "partitions",
        "allowed sizes",
        source(replace={"partitions: s": "partitions: xl"}),
        policy={"rules": {"partitions.sizes": {"allowed": ["xs", "s", "m"]}}},
    ),
    Case(
        RuleId.PARTITIONS_CO_KEYED,
        "partitions",
        "partitions: s",
        source("execution.fills", replace={"partitions: s": "partitions: m"}),
        first=source(),
    ),
    Case(
        RuleId.DELTA_CROSS_DOMAIN,
        "visibility",
        "visibility: domain",
        source(replace={"kind: measurement": "kind: delta"}),
    ),
    Case(
        RuleId.RETENTION_CLASSIFICATION,
        "customer_email",
        "recent:30d",
        source(fields=(EMAIL,), extra="classifications: {customer_email: [pii]}\n"),
    ),
    Case(
        RuleId.REGIONS_ALLOWED,
        "regions[0]",
        "eu-west-1",
        source(extra="regions: [us-east-1]\n"),
        policy={"rules": {"regions.allowed": {"regions": ["eu-west-1"]}}},
    ),
]


def test_every_built_in_rule_has_a_case() -> None:
    tested = {case.rule for case in CASES}
    assert tested == set(RuleId) - {RuleId.POLICY_LOOSENING, RuleId.CUSTOM_FAILED}


@pytest.mark.parametrize("case", CASES, ids=[case.rule.value for case in CASES])
def test_plan_and_apply_refuse_a_descriptor_breaking_the_rule(
    case: Case, mesh: MeshRuntime, governance: GovernanceService
) -> None:
    if case.policy is not None:
        governance.policies.set(policy_from(case.policy), actor="gov")
    if case.first is not None:
        mesh.plane.apply([case.first], actor="alice")
    if case.compatibility is not None:
        mesh.registry.set_compatibility(case.compatibility)

    plan = mesh.plane.plan([case.broken])
    found = [problem for problem in plan.all_problems if problem.rule == case.rule.value]
    assert found, [problem.render() for problem in plan.all_problems]
    problem = found[0]
    assert problem.severity is Severity.ERROR
    assert problem.message.startswith(f"{case.field}: ")
    assert case.hint in problem.hint

    before = mesh.plane.products()
    with pytest.raises(PlanRefused) as refused:
        mesh.plane.apply([case.broken], actor="alice")
    assert case.rule.value in {problem.rule for problem in refused.value.problems}
    assert mesh.plane.products() == before


def test_the_baseline_lets_a_well_formed_product_through(mesh: MeshRuntime) -> None:
    trades = source(
        fields=(EMAIL,),
        extra="classifications: {customer_email: [pii]}\n",
        replace={"retention: full-history": "retention: recent:30d"},
    )
    result = mesh.plane.apply([trades], actor="alice")
    assert [record.reference for record in result.applied] == ["execution.trades.v1"]


def test_a_rule_the_global_policy_makes_a_warning_lets_apply_go_ahead(
    mesh: MeshRuntime, governance: GovernanceService
) -> None:
    governance.policies.set(
        policy_from({"rules": {"fields.personal-data": {"severity": "warning"}}}), actor="gov"
    )
    broken = source(fields=(EMAIL,))
    (problem,) = mesh.plane.plan([broken]).all_problems
    assert (problem.rule, problem.severity) == ("fields.personal-data", Severity.WARNING)
    assert mesh.plane.apply([broken], actor="alice").applied


def test_a_domain_policy_tightens_only_its_own_domain(
    mesh: MeshRuntime, governance: GovernanceService
) -> None:
    governance.policies.set(
        policy_from({"rules": {"schema.formats": {"allowed": ["json"]}}}),
        actor="owner",
        domain="execution",
    )
    assert "schema.formats" in {p.rule for p in mesh.plane.plan([source()]).all_problems}
    other = source("customers.trades")
    assert mesh.plane.plan([other]).all_problems == ()


def test_a_domain_policy_cannot_loosen_a_global_rule(
    mesh: MeshRuntime, governance: GovernanceService
) -> None:
    governance.policies.set(
        policy_from(
            {
                "rules": {
                    "schema.formats": {"allowed": ["avro", "json"]},
                    "schema.compatibility": {"minimum": "FULL"},
                    "fields.personal-data": {"severity": "error"},
                }
            }
        ),
        actor="gov",
    )
    loosening = policy_from(
        {
            "rules": {
                "schema.formats": {"allowed": ["avro", "protobuf"]},
                "schema.compatibility": {"minimum": "BACKWARD"},
                "fields.personal-data": {"enabled": False},
            }
        }
    )
    with pytest.raises(PolicyLoosened) as refused:
        governance.policies.set(loosening, actor="owner", domain="execution")
    findings = {finding.field: finding for finding in refused.value.findings}
    assert set(findings) == {
        "rules.schema.formats.allowed",
        "rules.schema.compatibility.minimum",
        "rules.fields.personal-data.enabled",
    }
    assert all(finding.rule == "policy.loosening" for finding in findings.values())
    assert "'FULL'" in findings["rules.schema.compatibility.minimum"].message
    assert "[avro, json]" in findings["rules.schema.formats.allowed"].message
    assert "'execution'" in str(refused.value)
    assert governance.policies.show("execution") is None

    tightening = policy_from({"rules": {"schema.compatibility": {"minimum": "FULL_TRANSITIVE"}}})
    assert governance.policies.set(tightening, actor="owner", domain="execution").version == 1


def test_a_stored_domain_policy_loosened_by_a_later_global_one_is_reported(
    mesh: MeshRuntime, governance: GovernanceService
) -> None:
    governance.policies.set(
        policy_from({"rules": {"partitions.sizes": {"allowed": ["s", "m", "l"]}}}),
        actor="owner",
        domain="execution",
    )
    governance.policies.set(
        policy_from({"rules": {"partitions.sizes": {"allowed": ["s"]}}}), actor="gov"
    )
    problems = {p.rule: p for p in mesh.plane.plan([source()]).all_problems}
    assert problems["policy.loosening"].severity is Severity.ERROR
    assert "'partitions.sizes'" in problems["policy.loosening"].message
    # The global setting stays in force.
    wider = source(replace={"partitions: s": "partitions: m"})
    assert "partitions.sizes" in {p.rule for p in mesh.plane.plan([wider]).all_problems}


def test_policy_changes_are_versioned_and_audited(
    mesh: MeshRuntime, governance: GovernanceService
) -> None:
    first = governance.policies.set(policy_from({}), actor="gov")
    second = governance.policies.set(
        policy_from({"rules": {"regions.allowed": {"regions": ["eu-west-1"]}}}), actor="gov"
    )
    assert (first.version, second.version) == (1, 2)
    shown = governance.policies.show()
    assert shown is not None and shown.version == 2
    assert shown.policy.rules.regions.regions == frozenset({"eu-west-1"})
    changes = [
        entry
        for entry in mesh.plane.audit.entries(limit=100)
        if entry.action is AuditAction.POLICY_CHANGED
    ]
    assert [entry.subject for entry in changes] == ["policy:global", "policy:global"]
    assert {entry.actor for entry in changes} == {"gov"}
