"""The control plane's rules, the same on embedded + SQLite and on Kafka + PostgreSQL."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from streammesh.audit import AuditAction
from streammesh.control import (
    Action,
    ApplicationRole,
    ControlPlane,
    InvalidProductSource,
    NotAcceptingConsumers,
    PlanRefused,
    ProductNotFound,
    Severity,
)
from streammesh.log.errors import TopicNotFound
from streammesh.products.descriptor import Status
from streammesh.products.lifecycle import ConsumersActive, TooEarly, TransitionNotAllowed
from streammesh.runtime import MeshRuntime
from tests.conformance.control.conftest import SCHEMA, Clock, SourceFactory

SUNSET = date(2027, 3, 1)


def problems(plane: ControlPlane, *sources: object) -> dict[str, Severity]:
    plan = plane.plan(list(sources))  # type: ignore[arg-type]
    return {problem.rule: problem.severity for problem in plan.all_problems}


def changes(plane: ControlPlane, *sources: object) -> set[tuple[str, str]]:
    plan = plane.plan(list(sources))  # type: ignore[arg-type]
    return {
        (change.resource.value, change.action.value)
        for product in plan.products
        for change in product.changes
        if change.action is not Action.NONE
    }


def audit_actions(plane: ControlPlane) -> list[AuditAction]:
    return [entry.action for entry in plane.audit.entries(limit=1000)]


def test_apply_creates_everything_once(
    plane: ControlPlane, mesh: MeshRuntime, source: SourceFactory
) -> None:
    trades = source()
    assert changes(plane, trades) == {
        ("domain", "create"),
        ("team", "create"),
        ("topic", "create"),
        ("schema", "create"),
        ("catalog", "create"),
        ("status", "create"),
    }
    result = plane.apply([trades], actor="alice")
    assert [record.reference for record in result.applied] == [trades.reference]
    assert mesh.log.describe_topic(trades.reference).partitions == 4
    assert mesh.registry.versions(f"{trades.reference}-value") == [1]
    assert plane.catalog.get(trades.descriptor.name).status is Status.PUBLISHED
    assert [d.name for d in plane.domains()] == [trades.descriptor.domain]
    assert [t.name for t in plane.teams()] == [trades.descriptor.team]
    assert audit_actions(plane) == [
        AuditAction.DOMAIN_REGISTERED,
        AuditAction.TEAM_REGISTERED,
        AuditAction.PRODUCT_CREATED,
        AuditAction.TOPIC_CREATED,
        AuditAction.SCHEMA_REGISTERED,
        AuditAction.PRODUCT_PUBLISHED,
    ]
    assert changes(plane, trades) == set()
    assert plane.apply([trades], actor="alice").applied == ()
    assert len(audit_actions(plane)) == 6


def test_two_products_of_one_new_domain_register_it_once(
    plane: ControlPlane, source: SourceFactory
) -> None:
    plane.apply([source("trades"), source("quotes")], actor="alice")
    assert audit_actions(plane).count(AuditAction.DOMAIN_REGISTERED) == 1
    assert len(plane.products()) == 2


def test_draft_then_published(plane: ControlPlane, source: SourceFactory, clock: Clock) -> None:
    plane.apply([source(status="draft")], actor="alice")
    assert plane.product(source().descriptor.name).status is Status.DRAFT
    clock.advance(timedelta(hours=1))
    assert changes(plane, source()) == {("status", "update")}
    record = plane.apply([source()], actor="bob").applied[0]
    assert record.status is Status.PUBLISHED and record.status_since == clock.now


def test_metadata_change_is_an_update_audited_with_before_and_after(
    plane: ControlPlane, source: SourceFactory
) -> None:
    plane.apply([source()], actor="alice")
    changed = source(extra="tags: [equities]\n")
    assert changes(plane, changed) == {("catalog", "update")}
    plane.apply([changed], actor="alice")
    updated = plane.audit.entries(actions=[AuditAction.PRODUCT_UPDATED])
    assert len(updated) == 1
    assert updated[0].before is not None and updated[0].after is not None
    assert updated[0].after["descriptor"]["tags"] == ["equities"]
    assert plane.catalog.search("equities").hits[0].name == changed.descriptor.name


def test_partition_count_cannot_change(plane: ControlPlane, source: SourceFactory) -> None:
    plane.apply([source(partitions="s")], actor="alice")
    assert problems(plane, source(partitions="m")) == {"topic.partitions-changed": Severity.ERROR}
    with pytest.raises(PlanRefused, match="partitions"):
        plane.apply([source(partitions="m")], actor="alice")


def test_retention_change_is_a_warning_and_not_applied(
    plane: ControlPlane, mesh: MeshRuntime, source: SourceFactory
) -> None:
    plane.apply([source(retention="full-history")], actor="alice")
    assert problems(plane, source(retention="recent:7d")) == {
        "topic.retention-differs": Severity.WARNING
    }
    assert mesh.log.describe_topic(source().reference).spec.retention_ms is None


def test_incompatible_schema_is_refused_and_nothing_changes(
    plane: ControlPlane, mesh: MeshRuntime, source: SourceFactory
) -> None:
    plane.apply([source()], actor="alice")
    broken = json.loads(SCHEMA)
    broken["fields"][2]["type"] = "string"
    broken["fields"].append({"name": "venue", "type": "string"})
    refused = source(schema=json.dumps(broken), extra="tags: [changed]\n")
    plan = plane.plan([refused])
    (problem,) = plan.errors
    assert problem.rule == "compatibility.incompatible"
    assert len(problem.details) == 3  # price both ways (FULL_TRANSITIVE), venue without default
    assert "version: 2" in problem.hint
    before = audit_actions(plane)
    with pytest.raises(PlanRefused):
        plane.apply([refused], actor="alice")
    assert audit_actions(plane) == before
    assert mesh.registry.versions(f"{refused.reference}-value") == [1]
    assert plane.catalog.get(refused.descriptor.name).tags == ()


def test_plan_refuses_what_validate_refuses_with_the_same_rule_ids(
    plane: ControlPlane, mesh: MeshRuntime, source: SourceFactory
) -> None:
    schema = json.loads(SCHEMA)
    schema["fields"][0]["type"] = ["null", "double"]  # the key field, trade_id
    wrong = source(schema=json.dumps(schema), extra="classifications: {trader: [pii]}\n")
    found = {problem.rule: problem for problem in plane.plan([wrong]).errors}
    assert set(found) == {"key.type-mismatch", "classification.unknown-field"}
    assert found["key.type-mismatch"].message == (
        "key.type: key field 'trade_id' is double in the schema, which is not a string key"
    )
    assert "did you mean 'trade_id'?" in found["classification.unknown-field"].hint
    assert problems(plane, wrong)["key.nullable"] is Severity.WARNING  # a measurement product
    with pytest.raises(PlanRefused):
        plane.apply([wrong], actor="alice")
    assert mesh.registry.subjects() == []


def test_one_bad_product_stops_the_whole_apply(plane: ControlPlane, source: SourceFactory) -> None:
    with pytest.raises(PlanRefused):
        plane.apply([source("good"), source("bad", schema='{"type": "record"')], actor="alice")
    assert plane.products() == []


def test_key_and_classified_fields_must_exist(plane: ControlPlane, source: SourceFactory) -> None:
    bad = source(extra="classifications: {email: [pii]}\n")
    assert problems(plane, bad) == {"classification.unknown-field": Severity.ERROR}


def test_same_version_twice_is_refused(plane: ControlPlane, source: SourceFactory) -> None:
    assert "product.duplicate" in problems(plane, source(), source())


def test_new_major_version_runs_side_by_side_and_is_linked(
    plane: ControlPlane, mesh: MeshRuntime, source: SourceFactory
) -> None:
    plane.apply([source()], actor="alice")
    plane.apply([source(version=2)], actor="alice")
    name = source().descriptor.name
    assert [r.version for r in plane.versions(name)] == [1, 2]
    assert plane.product(f"{name}.v1").replaced_by == f"{name}.v2"
    assert plane.product(name).version == 2
    mesh.log.describe_topic(f"{name}.v1")
    mesh.log.describe_topic(f"{name}.v2")
    assert AuditAction.PRODUCT_VERSION_ADDED in audit_actions(plane)
    assert changes(plane, source(), source(version=2)) == set()


def test_unknown_upstream_is_a_warning(plane: ControlPlane, source: SourceFactory) -> None:
    derived = source("derived", extra="upstreams: [nowhere.thing]\n")
    assert problems(plane, derived) == {"upstream.unknown": Severity.WARNING}


def test_deprecate_then_retire(
    plane: ControlPlane, mesh: MeshRuntime, source: SourceFactory, clock: Clock
) -> None:
    plane.apply([source()], actor="alice")
    name = source().descriptor.name
    plane.register_application(name, "risk", role=ApplicationRole.CONSUMER, principal="svc-risk")
    with pytest.raises(ProductNotFound):
        plane.deprecate(
            name, reason="old", sunset=SUNSET, replacement="nowhere.thing", actor="alice"
        )
    record = plane.deprecate(name, reason="old", sunset=SUNSET, actor="alice")
    assert record.status is Status.DEPRECATED
    assert plane.catalog.search("").total == 0  # hidden from default search
    assert plane.catalog.search("", status="deprecated").total == 1
    with pytest.raises(NotAcceptingConsumers, match="newcomer"):
        plane.register_application(name, "newcomer", role=ApplicationRole.CONSUMER, principal="x")
    plane.register_application(name, "risk", role=ApplicationRole.CONSUMER, principal="svc-risk")
    with pytest.raises(TooEarly):
        plane.retire(name, actor="alice")
    clock.advance(timedelta(days=30))
    plane.register_application(name, "risk", role=ApplicationRole.CONSUMER, principal="svc-risk")
    with pytest.raises(ConsumersActive):
        plane.retire(name, actor="alice")
    clock.advance(timedelta(days=8))  # risk was last seen 8 days ago: no longer active
    retired = plane.retire(name, actor="alice")
    assert retired.status is Status.RETIRED and retired.forced_by is None
    with pytest.raises(TopicNotFound):
        mesh.log.describe_topic(source().reference)
    assert problems(plane, source()) == {"product.retired": Severity.ERROR}
    with pytest.raises(TransitionNotAllowed):
        plane.retire(name, actor="alice")


def test_forced_retirement_records_who(
    plane: ControlPlane, source: SourceFactory, clock: Clock
) -> None:
    plane.apply([source()], actor="alice")
    name = source().descriptor.name
    plane.register_application(name, "risk", role=ApplicationRole.CONSUMER, principal="svc-risk")
    plane.deprecate(name, reason="old", sunset=SUNSET, actor="alice")
    clock.advance(timedelta(days=31))
    plane.register_application(name, "risk", role=ApplicationRole.CONSUMER, principal="svc-risk")
    retired = plane.retire(name, actor="carol", force=True)
    assert retired.forced_by == "carol"
    (entry,) = plane.audit.entries(actions=[AuditAction.PRODUCT_RETIRED])
    assert entry.actor == "carol" and entry.note == "forced by carol"


def test_descriptor_behind_the_mesh_warns_and_keeps_the_status(
    plane: ControlPlane, source: SourceFactory
) -> None:
    plane.apply([source()], actor="alice")
    plane.deprecate(source().descriptor.name, reason="old", sunset=SUNSET, actor="alice")
    assert problems(plane, source()) == {"status.behind-mesh": Severity.WARNING}
    plane.apply([source(extra="tags: [still-here]\n")], actor="alice")
    assert plane.product(source().descriptor.name).status is Status.DEPRECATED


def test_deprecation_through_the_descriptor(plane: ControlPlane, source: SourceFactory) -> None:
    plane.apply([source()], actor="alice")
    deprecated = source(
        status="deprecated", extra=f"deprecation: {{reason: replaced, sunset: {SUNSET}}}\n"
    )
    assert changes(plane, deprecated) == {("status", "update")}
    record = plane.apply([deprecated], actor="alice").applied[0]
    assert record.status is Status.DEPRECATED and record.deprecation is not None


def test_a_new_product_cannot_start_deprecated(plane: ControlPlane, source: SourceFactory) -> None:
    deprecated = source(
        status="deprecated", extra=f"deprecation: {{reason: replaced, sunset: {SUNSET}}}\n"
    )
    assert "status.not-applied-yet" in problems(plane, deprecated)


def test_references_resolve_to_the_current_version(
    plane: ControlPlane, source: SourceFactory
) -> None:
    plane.apply([source(), source(version=2, status="draft")], actor="alice")
    name = source().descriptor.name
    assert plane.product(name).version == 1  # the published one, not the draft
    assert plane.product(f"{name}.v2").status is Status.DRAFT
    with pytest.raises(ProductNotFound, match=f"did you mean '{name}'"):
        plane.product(name[:-1])
    with pytest.raises(ProductNotFound):
        plane.product(f"{name}.v9")


def test_domains_and_teams_are_registered_objects(plane: ControlPlane, domain: str) -> None:
    plane.register_domain(domain, description="Equities", actor="admin")
    plane.register_team(
        "desk", domain=domain, email="desk@example.com", description=None, actor="admin"
    )
    assert [(t.name, t.domain) for t in plane.teams(domain=domain)] == [("desk", domain)]
    with pytest.raises(InvalidProductSource, match="not registered"):
        plane.register_team("other", domain="nowhere", email=None, description=None, actor="admin")
    with pytest.raises(InvalidProductSource, match="not a valid domain name"):
        plane.register_domain("Bad Name", description=None, actor="admin")


def test_applications_report_activity(
    plane: ControlPlane, source: SourceFactory, clock: Clock
) -> None:
    plane.apply([source()], actor="alice")
    name = source().descriptor.name
    plane.register_application(
        name, "risk", role=ApplicationRole.CONSUMER, principal="svc", group="risk"
    )
    plane.register_application(name, "ingest", role=ApplicationRole.PRODUCER, principal="svc")
    clock.advance(timedelta(days=10))
    plane.register_application(name, "ingest", role=ApplicationRole.PRODUCER, principal="svc")
    activity = {(app.name, app.role.value): active for app, active in plane.applications(name)}
    assert activity == {("risk", "consumer"): False, ("ingest", "producer"): True}
