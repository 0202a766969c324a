"""Computing a :class:`~streammesh.control.plan.Plan`: sources against the mesh's state.

Planning reads and never writes: the stored product versions, the log's topics and the
registry's subjects. Every problem of every product is collected, so one ``plan`` run lists
everything that stands between the descriptors and the mesh. The descriptor itself is checked
by the checker ``streammesh validate`` uses (:mod:`streammesh.products.checks`), so its
findings come with the same rule ids; the registry is asked about each schema once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Connection

from streammesh.control import inventory
from streammesh.control.plan import (
    Action,
    Change,
    Plan,
    PlanProblem,
    ProductPlan,
    Resource,
    Severity,
    Target,
)
from streammesh.control.records import ProductRecord
from streammesh.control.settings import ControlSettings
from streammesh.control.sources import ProductSource
from streammesh.log import CleanupPolicy, EventLog, TopicNotFound, TopicSpec
from streammesh.products import (
    INCOMPATIBLE,
    CheckedDescriptor,
    Compatibility,
    Descriptor,
    DescriptorChecker,
    Finding,
    LifecycleError,
    LifecycleState,
    PolicyReviewer,
    Status,
    deprecate,
    incompatible_hint,
    publish,
    retire,
)
from streammesh.products import Severity as FindingSeverity
from streammesh.registry import SchemaRegistry

_ORDER = (Status.DRAFT, Status.PUBLISHED, Status.DEPRECATED, Status.RETIRED)

ActiveConsumers = Callable[[Connection, ProductRecord], int]

PolicyReviews = Callable[[Connection, SchemaRegistry], PolicyReviewer]
"""Loads the mesh's policies (and what its rules read) in the plan's transaction; the runtime
passes governance's ``MeshReview.load``, so the control plane does not import governance."""


@dataclass(frozen=True, slots=True)
class Planner:
    """Plans sources against one mesh (its store connection, log and registry)."""

    connection: Connection
    log: EventLog
    registry: SchemaRegistry
    settings: ControlSettings
    now: datetime
    active_consumers: ActiveConsumers
    reviews: PolicyReviews

    def plan(self, sources: Sequence[ProductSource]) -> Plan:
        """The plan of ``sources`` (each product version once)."""
        duplicates = [ref for ref, n in Counter(s.reference for s in sources).items() if n > 1]
        problems = tuple(
            PlanProblem(
                ref,
                ", ".join(s.origin for s in sources if s.reference == ref),
                Severity.ERROR,
                "product.duplicate",
                f"'{ref}' is defined by more than one descriptor",
                "keep one descriptor per product version",
            )
            for ref in duplicates
        )
        new_domains: set[str] = set()
        new_teams: set[str] = set()
        plans = []
        # Governance: the mesh's policies and products, read once for the whole plan.
        checker = DescriptorChecker(self.reviews(self.connection, self.registry))
        for source in sources:
            plans.append(self._plan_product(source, new_domains, new_teams, checker))
        return Plan(tuple(plans), problems)

    def _plan_product(
        self,
        source: ProductSource,
        new_domains: set[str],
        new_teams: set[str],
        checker: DescriptorChecker,
    ) -> ProductPlan:
        descriptor = source.descriptor
        stored = inventory.product(self.connection, descriptor.name, descriptor.version)
        problem = _Problems(source)

        changes = [*self._owners(descriptor, new_domains, new_teams)]
        self._check_team(descriptor, stored, problem)
        if stored is not None and stored.status is Status.RETIRED:
            problem(
                "product.retired",
                f"'{source.reference}' is retired, which is final",
                f"publish it as a new major version (version: {descriptor.version + 1})",
            )
            return ProductPlan(source, stored, tuple(changes), problem.found, None)

        spec = descriptor.retention.topic_spec(descriptor.topic, descriptor.partition_count)
        changes.append(self._topic(spec, problem))
        target = source.checked()
        checked = checker.check(target)
        for finding in checked.findings:
            problem.finding(finding)
        schema = checked.schema
        schema_change, schema_id, schema_version = (
            self._schema(target, checker, problem) if schema is not None else (None, None, None)
        )
        if schema_change is not None:
            changes.append(schema_change)
        changes.append(self._catalog(descriptor, stored, schema_change))
        status, transitions, status_change = self._status(descriptor, stored, problem)
        changes.append(status_change)
        replaces = self._replaces(descriptor, stored)
        if replaces is not None:
            changes.append(
                Change(
                    Resource.REPLACEMENT,
                    Action.CREATE,
                    replaces.reference,
                    f"'{replaces.reference}' is replaced by '{source.reference}' "
                    "(both run side by side)",
                )
            )
        for upstream in descriptor.upstreams:
            name = upstream.rsplit(".v", 1)[0] if ".v" in upstream else upstream
            if not inventory.product_versions(self.connection, name):
                problem(
                    "upstream.unknown",
                    f"upstream '{upstream}' is not in the mesh",
                    "apply the upstream product first, or fix its name",
                    severity=Severity.WARNING,
                )
        planned = None
        if schema is not None and not problem.has_errors:
            planned = Target(spec, schema, schema_id, schema_version, status, transitions, replaces)
        return ProductPlan(source, stored, tuple(changes), problem.found, planned)

    def _check_team(
        self, descriptor: Descriptor, stored: ProductRecord | None, problem: _Problems
    ) -> None:
        # The owning team changes only by a transfer (its own audited operation, with its own
        # rules on who may), never as a side effect of re-applying a descriptor.
        if stored is None:
            versions = inventory.product_versions(self.connection, descriptor.name)
            stored = versions[-1] if versions else None
        if stored is None or stored.descriptor.team == descriptor.team:
            return
        problem(
            "product.team-changed",
            f"'{descriptor.name}' is owned by team '{stored.descriptor.team}' and the "
            f"descriptor names team '{descriptor.team}'; apply does not change a product's owner",
            f"transfer it first: 'streammesh products transfer {descriptor.name} --team "
            f"{descriptor.team}' (POST /api/v1/products/{descriptor.name}/owner, by governance "
            "or a platform admin), or keep team: "
            f"{stored.descriptor.team}",
        )

    def _owners(
        self, descriptor: Descriptor, new_domains: set[str], new_teams: set[str]
    ) -> list[Change]:
        changes = []
        if inventory.domain(self.connection, descriptor.domain) is None:
            first = descriptor.domain not in new_domains
            new_domains.add(descriptor.domain)
            changes.append(
                Change(
                    Resource.DOMAIN,
                    Action.CREATE if first else Action.NONE,
                    descriptor.domain,
                    "new domain" if first else "created by another product of this plan",
                )
            )
        if inventory.team(self.connection, descriptor.team) is None:
            first = descriptor.team not in new_teams
            new_teams.add(descriptor.team)
            changes.append(
                Change(
                    Resource.TEAM,
                    Action.CREATE if first else Action.NONE,
                    descriptor.team,
                    f"new team of domain '{descriptor.domain}'"
                    if first
                    else "created by another product of this plan",
                )
            )
        return changes

    def _topic(self, spec: TopicSpec, problem: _Problems) -> Change:
        try:
            existing = self.log.describe_topic(spec.name).spec
        except TopicNotFound:
            return Change(Resource.TOPIC, Action.CREATE, spec.name, _describe_spec(spec))
        if existing.partitions != spec.partitions:
            problem(
                "topic.partitions-changed",
                f"topic '{spec.name}' has {existing.partitions} partitions and the descriptor "
                f"asks for {spec.partitions}",
                "the partition count of a product version cannot change (keys would move to "
                "other partitions and lose their order); keep the size, or publish a new major "
                "version",
            )
        elif (existing.cleanup_policy, existing.retention_ms) != (
            spec.cleanup_policy,
            spec.retention_ms,
        ):
            problem(
                "topic.retention-differs",
                f"topic '{spec.name}' keeps data as {_describe_spec(existing)}, the descriptor "
                f"says {_describe_spec(spec)}; apply does not change an existing topic's "
                "retention",
                "change the topic's settings with your Kafka tools, or keep the descriptor's "
                "retention as it was",
                severity=Severity.WARNING,
            )
        return Change(Resource.TOPIC, Action.NONE, spec.name, _describe_spec(existing))

    def _schema(
        self, target: CheckedDescriptor, checker: DescriptorChecker, problem: _Problems
    ) -> tuple[Change | None, int | None, int | None]:
        standing = checker.compatibility(target, self.registry)
        subject = standing.subject
        if standing.latest is None:
            return (
                Change(Resource.SCHEMA, Action.CREATE, subject, "new subject, version 1"),
                None,
                None,
            )
        found = standing.registered
        if found is not None:
            summary = f"version {found.version} (id {found.id})"
            if found.version != standing.latest:
                summary += f"; the subject's latest is version {standing.latest}"
            return Change(Resource.SCHEMA, Action.NONE, subject, summary), found.id, found.version
        if not standing.compatible:
            problem.incompatible(target, standing)
            return None, None, None
        return (
            Change(
                Resource.SCHEMA,
                Action.CREATE,
                subject,
                f"version {standing.latest + 1} (compatible)",
            ),
            None,
            None,
        )

    def _catalog(
        self, descriptor: Descriptor, stored: ProductRecord | None, schema: Change | None
    ) -> Change:
        reference = descriptor.topic
        if stored is None:
            return Change(Resource.CATALOG, Action.CREATE, reference, "new entry")
        differences = _descriptor_differences(stored.descriptor, descriptor)
        if schema is not None and schema.action is Action.CREATE:
            differences.append("schema fields")
        if not differences:
            return Change(Resource.CATALOG, Action.NONE, reference, "unchanged")
        return Change(
            Resource.CATALOG, Action.UPDATE, reference, "changed: " + ", ".join(differences)
        )

    def _status(
        self, descriptor: Descriptor, stored: ProductRecord | None, problem: _Problems
    ) -> tuple[Status, tuple[Status, ...], Change]:
        wanted = descriptor.status
        reference = descriptor.topic
        current = stored.status if stored is not None else None
        if current is None and wanted in (Status.DEPRECATED, Status.RETIRED):
            problem(
                "status.not-applied-yet",
                f"a new product cannot start as {wanted}",
                "apply it as draft or published first",
            )
            return Status.DRAFT, (), Change(Resource.STATUS, Action.NONE, reference, str(wanted))
        if current is None:
            steps: tuple[Status, ...] = (
                (Status.DRAFT,) if wanted is Status.DRAFT else (Status.DRAFT, Status.PUBLISHED)
            )
            return (
                wanted,
                steps,
                Change(
                    Resource.STATUS, Action.CREATE, reference, " -> ".join(s.value for s in steps)
                ),
            )
        assert stored is not None
        if _ORDER.index(wanted) < _ORDER.index(current):
            problem(
                "status.behind-mesh",
                f"the mesh has it {current} since {stored.status_since:%Y-%m-%d %H:%M} UTC and "
                f"the descriptor says {wanted}; the status stays {current}",
                f"set `status: {current}` (and its deprecation block) in the descriptor",
                severity=Severity.WARNING,
            )
            return current, (), Change(Resource.STATUS, Action.NONE, reference, str(current))
        if wanted is current:
            return current, (), Change(Resource.STATUS, Action.NONE, reference, str(current))
        steps = _ORDER[_ORDER.index(current) + 1 : _ORDER.index(wanted) + 1]
        try:
            self._check_transitions(descriptor, stored, steps)
        except LifecycleError as exc:
            problem("lifecycle.refused", str(exc), "")
        summary = " -> ".join(s.value for s in (current, *steps))
        return wanted, steps, Change(Resource.STATUS, Action.UPDATE, reference, summary)

    def _check_transitions(
        self, descriptor: Descriptor, stored: ProductRecord, steps: Sequence[Status]
    ) -> LifecycleState:
        state = stored.lifecycle
        for step in steps:
            state = transition(
                state,
                step,
                descriptor,
                now=self.now,
                settings=self.settings,
                active_consumers=lambda: self.active_consumers(self.connection, stored),
            )
        return state

    def _replaces(
        self, descriptor: Descriptor, stored: ProductRecord | None
    ) -> ProductRecord | None:
        if stored is not None or descriptor.version == 1:
            return None
        lower = [
            record
            for record in inventory.product_versions(self.connection, descriptor.name)
            if record.version < descriptor.version
        ]
        if not lower or lower[-1].replaced_by == descriptor.topic:
            return None
        return lower[-1]


def transition(
    state: LifecycleState,
    step: Status,
    descriptor: Descriptor,
    *,
    now: datetime,
    settings: ControlSettings,
    active_consumers: Callable[[], int],
) -> LifecycleState:
    """Apply one lifecycle step that a descriptor asks for (raises ``LifecycleError``)."""
    if step is Status.PUBLISHED:
        return publish(state, now=now)
    if step is Status.DEPRECATED:
        details = descriptor.deprecation
        assert details is not None  # the descriptor model requires it for this status
        return deprecate(
            state,
            reason=details.reason,
            sunset=details.sunset,
            replacement=details.replacement,
            now=now,
            policy=settings.lifecycle,
        )
    if step is Status.RETIRED:
        return retire(
            state, active_consumers=active_consumers(), now=now, policy=settings.lifecycle
        )
    raise ValueError(f"no transition leads to {step}")


class _Problems:
    """Collects the problems of one product's plan; call it to add one."""

    def __init__(self, source: ProductSource) -> None:
        self._source = source
        self._found: list[PlanProblem] = []

    def __call__(
        self,
        rule: str,
        message: str,
        hint: str = "",
        *,
        severity: Severity = Severity.ERROR,
        details: tuple[str, ...] = (),
    ) -> None:
        source = self._source
        self._found.append(
            PlanProblem(source.reference, source.origin, severity, rule, message, hint, details)
        )

    def finding(self, finding: Finding) -> None:
        """Add a finding of the descriptor checker (notes are not plan problems)."""
        if finding.severity is FindingSeverity.INFO:
            return
        self(
            finding.rule,
            f"{finding.location}: {finding.message}" if finding.location else finding.message,
            finding.hint or "",
            severity=(
                Severity.ERROR if finding.severity is FindingSeverity.ERROR else Severity.WARNING
            ),
        )

    def incompatible(self, target: CheckedDescriptor, standing: Compatibility) -> None:
        """Add one problem for every incompatibility of ``standing``, each a detail line."""
        assert standing.report is not None and standing.level is not None
        self(
            INCOMPATIBLE,
            f"the schema is incompatible with subject '{standing.subject}' under "
            f"{standing.level.value} ({len(standing.report.incompatibilities)} "
            "incompatibilities)",
            incompatible_hint(target, standing.level),
            details=tuple(standing.report.messages),
        )

    @property
    def found(self) -> tuple[PlanProblem, ...]:
        return tuple(self._found)

    @property
    def has_errors(self) -> bool:
        return any(problem.severity is Severity.ERROR for problem in self._found)


_IGNORED = {"status", "deprecation"}


def _descriptor_differences(before: Descriptor, after: Descriptor) -> list[str]:
    old = before.model_dump(mode="json", by_alias=True)
    new = after.model_dump(mode="json", by_alias=True)
    return [key for key in new if key not in _IGNORED and old.get(key) != new[key]]


def _describe_spec(spec: TopicSpec) -> str:
    partitions = f"{spec.partitions} partition{'s' if spec.partitions != 1 else ''}"
    if spec.cleanup_policy is CleanupPolicy.COMPACT:
        return f"{partitions}, compacted"
    if spec.retention_ms is None:
        return f"{partitions}, full history"
    hours = spec.retention_ms / 3_600_000
    window = f"{hours / 24:g}d" if hours >= 24 else f"{hours:g}h"
    return f"{partitions}, recent {window}"
