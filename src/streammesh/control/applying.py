"""Carrying out one product's plan: topic, schema, then state, catalog and audit in one commit.

The topic and the schema live outside the metadata database, so they are made first and are
idempotent (an existing topic or an already registered schema is taken as it is): if anything
fails later, running ``apply`` again finishes the job. The product's state, its catalog entry,
the link to the version it replaces and the audit records then commit in one transaction.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from streammesh.audit import AuditAction, AuditEntry, AuditLog
from streammesh.catalog import Catalog, CatalogEntry
from streammesh.control import inventory
from streammesh.control.errors import ConcurrentChange
from streammesh.control.plan import ProductPlan, Resource, Target
from streammesh.control.planner import transition
from streammesh.control.records import DomainRecord, ProductRecord, TeamRecord
from streammesh.control.settings import ControlSettings
from streammesh.log import EventLog, TopicAlreadyExists
from streammesh.products import LifecycleState, Status
from streammesh.registry import SchemaRegistry, SubjectVersion
from streammesh.store import MetadataStore

CONTROL_LOCK = "control"

_STATUS_ACTIONS = {
    Status.PUBLISHED: AuditAction.PRODUCT_PUBLISHED,
    Status.DEPRECATED: AuditAction.PRODUCT_DEPRECATED,
    Status.RETIRED: AuditAction.PRODUCT_RETIRED,
}


def status_action(status: Status) -> AuditAction:
    """The audit action of entering ``status``."""
    return _STATUS_ACTIONS[status]


@dataclasses.dataclass(frozen=True, slots=True)
class Applier:
    """Carries out product plans on one mesh."""

    store: MetadataStore
    log: EventLog
    registry: SchemaRegistry
    catalog: Catalog
    audit: AuditLog
    settings: ControlSettings
    clock: Callable[[], datetime]

    def apply(self, plan: ProductPlan, actor: str) -> ProductRecord:
        """Make the mesh match ``plan`` (which must have no errors) and return the stored record.

        Raises:
            ConcurrentChange: The product was changed by someone else since it was planned.
        """
        target = plan.target
        if target is None:  # pragma: no cover - apply() refuses plans with errors first
            raise ValueError(f"the plan of '{plan.reference}' has errors")
        entries: list[AuditEntry] = []
        if plan.changed(Resource.TOPIC) is not None:
            entries.append(self._create_topic(plan, target, actor))
        schema_id, schema_version = target.schema_id, target.schema_version
        if schema_id is None or schema_version is None:
            registered = self._register_schema(plan)
            schema_id, schema_version = registered.id, registered.version
            entries.append(_schema_registered(plan, registered, actor))
        now = self.clock()
        with self.store.write(CONTROL_LOCK) as connection:
            # Owners (domain, team, the product itself) are recorded before what was done to them.
            owners: list[AuditEntry] = []
            self._register_owners(connection, plan, actor, now, owners)
            stored = self._unchanged_since_planned(connection, plan)
            state = self._walk_lifecycle(plan, target, stored, actor, now, entries)
            record = ProductRecord(
                descriptor=plan.source.descriptor,
                status=state.status,
                status_since=state.since,
                deprecation=state.deprecation,
                forced_by=state.forced_by,
                replaced_by=stored.replaced_by if stored is not None else None,
                schema_id=schema_id,
                schema_version=schema_version,
                created_at=stored.created_at if stored is not None else now,
                updated_at=now,
            )
            inventory.save_product(connection, record)
            self.catalog.upsert_in(connection, catalog_entry(record, target.schema.fields()))
            if stored is None:
                owners.append(_product_created(plan, record, actor))
            elif plan.changed(Resource.CATALOG) is not None:
                entries.append(_product_updated(plan, stored, record, actor))
            if target.replaces is not None:
                entries.append(self._link(connection, target.replaces, record, actor, now))
            for entry in owners + entries:
                self.audit.record(connection, entry, at=now)
        return record

    def _create_topic(self, plan: ProductPlan, target: Target, actor: str) -> AuditEntry:
        # An existing topic was made by an earlier apply that failed later: take it as is.
        with contextlib.suppress(TopicAlreadyExists):
            self.log.create_topic(target.topic_spec)
        spec = target.topic_spec
        return AuditEntry(
            AuditAction.TOPIC_CREATED,
            plan.reference,
            actor,
            after={
                "topic": spec.name,
                "partitions": spec.partitions,
                "cleanup_policy": spec.cleanup_policy.value,
                "retention_ms": spec.retention_ms,
            },
        )

    def _register_schema(self, plan: ProductPlan) -> SubjectVersion:
        subject = f"{plan.source.descriptor.topic}-value"
        return self.registry.register(subject, plan.source.submission)

    def _unchanged_since_planned(
        self, connection: Connection, plan: ProductPlan
    ) -> ProductRecord | None:
        """The stored product, as it was when ``plan`` was made.

        Raises:
            ConcurrentChange: It was changed (or created) by someone else since.
        """
        descriptor = plan.source.descriptor
        stored = inventory.product(connection, descriptor.name, descriptor.version)
        if _stamp(stored) != _stamp(plan.stored):
            raise ConcurrentChange(plan.reference)
        return stored

    def _walk_lifecycle(
        self,
        plan: ProductPlan,
        target: Target,
        stored: ProductRecord | None,
        actor: str,
        now: datetime,
        entries: list[AuditEntry],
    ) -> LifecycleState:
        """The lifecycle state after ``target``'s transitions, with an audit entry per step."""
        descriptor = plan.source.descriptor
        state = (
            stored.lifecycle
            if stored is not None
            else LifecycleState.draft(descriptor.name, descriptor.version, now)
        )
        for step in target.transitions:
            if step is Status.DRAFT:
                continue
            state = transition(
                state,
                step,
                descriptor,
                now=now,
                settings=self.settings,
                active_consumers=lambda: 0,  # checked when planned; retire() re-checks
            )
            entries.append(
                AuditEntry(
                    status_action(step),
                    plan.reference,
                    actor,
                    before={"status": _previous(state, target.transitions, step, stored)},
                    after=status_document(state),
                )
            )
        return state

    def _register_owners(
        self,
        connection: Connection,
        plan: ProductPlan,
        actor: str,
        now: datetime,
        entries: list[AuditEntry],
    ) -> None:
        descriptor = plan.source.descriptor
        if inventory.domain(connection, descriptor.domain) is None:
            domain = DomainRecord(descriptor.domain, None, now, actor)
            inventory.save_domain(connection, domain)
            entries.append(
                AuditEntry(
                    AuditAction.DOMAIN_REGISTERED,
                    f"domain:{domain.name}",
                    actor,
                    after=domain.document(),
                    note=f"first product: {plan.reference}",
                )
            )
        if inventory.team(connection, descriptor.team) is None:
            team = TeamRecord(
                descriptor.team, descriptor.domain, descriptor.owner.email, None, now, actor
            )
            inventory.save_team(connection, team)
            entries.append(
                AuditEntry(
                    AuditAction.TEAM_REGISTERED,
                    f"team:{team.name}",
                    actor,
                    after=team.document(),
                    note=f"first product: {plan.reference}",
                )
            )

    def _link(
        self,
        connection: Connection,
        replaced: ProductRecord,
        record: ProductRecord,
        actor: str,
        now: datetime,
    ) -> AuditEntry:
        current = inventory.product(connection, replaced.name, replaced.version) or replaced
        inventory.save_product(
            connection, dataclasses.replace(current, replaced_by=record.reference, updated_at=now)
        )
        return AuditEntry(
            AuditAction.PRODUCT_VERSION_ADDED,
            current.reference,
            actor,
            before={"replaced_by": current.replaced_by},
            after={"replaced_by": record.reference},
        )


def catalog_entry(record: ProductRecord, fields: Any) -> CatalogEntry:
    """The catalog entry of ``record`` (its real status, not the descriptor's)."""
    entry = CatalogEntry.from_descriptor(record.descriptor, fields)
    return dataclasses.replace(entry, status=record.status)


def status_document(state: LifecycleState) -> dict[str, Any]:
    """A lifecycle state as audit records and events show it."""
    return {
        "status": state.status.value,
        "since": state.since.isoformat(),
        "deprecation": (
            state.deprecation.model_dump(mode="json") if state.deprecation is not None else None
        ),
        "forced_by": state.forced_by,
    }


def _schema_registered(plan: ProductPlan, registered: SubjectVersion, actor: str) -> AuditEntry:
    return AuditEntry(
        AuditAction.SCHEMA_REGISTERED,
        plan.reference,
        actor,
        after={
            "subject": registered.subject,
            "version": registered.version,
            "id": registered.id,
            "schema_type": registered.schema_type.value,
        },
    )


def _product_created(plan: ProductPlan, record: ProductRecord, actor: str) -> AuditEntry:
    return AuditEntry(AuditAction.PRODUCT_CREATED, plan.reference, actor, after=record.document())


def _product_updated(
    plan: ProductPlan, stored: ProductRecord, record: ProductRecord, actor: str
) -> AuditEntry:
    return AuditEntry(
        AuditAction.PRODUCT_UPDATED,
        plan.reference,
        actor,
        before=stored.document(),
        after=record.document(),
    )


def _previous(
    state: LifecycleState,
    steps: tuple[Status, ...],
    step: Status,
    stored: ProductRecord | None,
) -> str:
    index = steps.index(step)
    if index > 0:
        return steps[index - 1].value
    return stored.status.value if stored is not None else Status.DRAFT.value


def _stamp(record: ProductRecord | None) -> datetime | None:
    return record.updated_at if record is not None else None


__all__ = ["CONTROL_LOCK", "Applier", "catalog_entry", "status_document"]
