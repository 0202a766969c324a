"""``ControlPlane``: plan and apply products, move them through their lifecycle, register
the applications that use them, and list what the mesh holds.

It is the one implementation of these operations; the CLI (in-process on a mesh directory),
the REST API and the SDK all call it. Every change is audited in its own transaction and then
relayed to ``_mesh.events``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.engine import Connection

from streammesh.audit import AuditAction, AuditEntry, AuditLog, AuditRecord, EventRelay
from streammesh.catalog import Catalog
from streammesh.control import inventory
from streammesh.control.applying import (
    CONTROL_LOCK,
    Applier,
    catalog_entry,
    status_action,
    status_document,
)
from streammesh.control.errors import (
    ControlError,
    InvalidProductSource,
    NotAcceptingConsumers,
    PlanRefused,
    ProductNotFound,
    TransferNotOffered,
)
from streammesh.control.groups import check_group_owner
from streammesh.control.plan import Plan
from streammesh.control.planner import Planner, PolicyReviews
from streammesh.control.records import (
    ApplicationRecord,
    ApplicationRole,
    DomainRecord,
    ProductRecord,
    TeamRecord,
)
from streammesh.control.scope import ChangeScope
from streammesh.control.settings import ControlSettings
from streammesh.control.sources import ProductSource
from streammesh.log import EventLog, LogError, TopicNotFound
from streammesh.products import (
    LifecycleState,
    Status,
    accepts_new_consumers,
    check_segment,
    deprecate,
    retire,
)
from streammesh.registry import SchemaRegistry
from streammesh.schemas import SchemaField, format_for
from streammesh.store import MetadataStore

_LOGGER = logging.getLogger(__name__)
_VERSIONED = re.compile(r"^(?P<name>[^.]+\.[^.]+)\.v(?P<version>[1-9][0-9]*)$")


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What ``apply`` did: the plan it carried out and the records it stored."""

    plan: Plan
    applied: tuple[ProductRecord, ...]

    @property
    def changed(self) -> bool:
        return bool(self.applied)


@dataclass(frozen=True, slots=True)
class Transfer:
    """What a transfer did.

    Attributes:
        product: The product's name.
        team: The team it was given (or offered) to.
        done: Whether it moved; ``False``: offered, waiting for a member of ``team``.
        versions: Every version of the product, lowest first, as stored now.
    """

    product: str
    team: str
    done: bool
    versions: tuple[ProductRecord, ...]


class ControlPlane:
    """The mesh's control plane over its store, log and registry.

    Example:
        >>> plane = ControlPlane(store, log, SqlSchemaRegistry(store), reviews=MeshReview.load)
        >>> plane.apply(read_product_sources(["execution/"]), actor="alice")
        >>> plane.product("execution.stocktrades").status
        <Status.PUBLISHED: 'published'>
    """

    def __init__(
        self,
        store: MetadataStore,
        log: EventLog,
        registry: SchemaRegistry,
        *,
        reviews: PolicyReviews,
        settings: ControlSettings | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._store = store
        self._log = log
        self._registry = registry
        self._reviews = reviews
        self._settings = settings or ControlSettings()
        self._clock = clock or (lambda: datetime.now(UTC))
        self.catalog = Catalog(store)
        """The product catalog (search)."""
        self.audit = AuditLog(store)
        """The audit log of every change."""
        self._relay = EventRelay(store, log)

    @property
    def settings(self) -> ControlSettings:
        return self._settings

    @property
    def store(self) -> MetadataStore:
        """The metadata store the control plane keeps its state in (services that read the
        same mesh — lineage, access — share it)."""
        return self._store

    # -- plan and apply ------------------------------------------------------------------------

    def plan(self, sources: Sequence[ProductSource]) -> Plan:
        """What ``apply(sources)`` would change, and every problem that stops it."""
        with self._store.read() as connection:
            return self._planner(connection).plan(sources)

    def apply(
        self,
        sources: Sequence[ProductSource],
        *,
        actor: str,
        scope: ChangeScope | None = None,
    ) -> ApplyResult:
        """Make the mesh match ``sources``; a second run with the same sources changes nothing.

        Args:
            sources: The products (descriptor and schema each).
            actor: Who applies them (recorded in the audit log).
            scope: The domains ``actor`` may change; ``None`` (the command line on a mesh
                directory) changes any. Every product must be of a registered domain in the
                scope and owned by a team of it: a new domain is created only mesh-wide.

        Raises:
            PlanRefused: The plan has errors; nothing was changed (for any product).
            OutsideDomain: A product (or its team) is outside ``scope``; nothing was changed.
            ConcurrentChange: Another apply changed a product meanwhile; run again.
        """
        if not sources:
            raise InvalidProductSource("apply", "no product given; give descriptor files")
        if scope is not None and not scope.mesh_wide:
            self._check_apply_scope(sources, scope)
        plan = self.plan(sources)
        if plan.errors:
            raise PlanRefused(plan.errors)
        applier = Applier(
            self._store,
            self._log,
            self._registry,
            self.catalog,
            self.audit,
            self._settings,
            self._clock,
        )
        applied = []
        try:
            for product_plan in plan.products:
                if product_plan.has_changes:
                    record = applier.apply(product_plan, actor)
                    applied.append(record)
                    if record.status is Status.RETIRED:
                        self._delete_topic(record)
        finally:
            self._publish_events()
        return ApplyResult(plan, tuple(applied))

    def _check_apply_scope(self, sources: Sequence[ProductSource], scope: ChangeScope) -> None:
        # Every product of the plan is checked before anything is planned or written: one
        # product outside the caller's domains refuses the whole apply.
        with self._store.read() as connection:
            for source in sources:
                descriptor = source.descriptor
                scope.check(descriptor.domain, "apply", source.reference)
                team = inventory.team(connection, descriptor.team)
                if team is not None:
                    scope.check_team(
                        team.name, team.domain, "give ownership of", f"team:{team.name}"
                    )

    def _planner(self, connection: Connection) -> Planner:
        return Planner(
            connection,
            self._log,
            self._registry,
            self._settings,
            self._clock(),
            lambda c, record: self._active_consumers(c, record),
            self._reviews,
        )

    # -- lifecycle -------------------------------------------------------------------------------

    def deprecate(
        self,
        reference: str,
        *,
        reason: str,
        sunset: date,
        replacement: str | None = None,
        actor: str,
        scope: ChangeScope | None = None,
    ) -> ProductRecord:
        """Deprecate a published product: it takes no new consumers and leaves default search.

        ``scope`` (``None``: any domain) must cover the product's domain.

        Raises:
            ProductNotFound: No such product, or the replacement is not in the mesh.
            OutsideDomain: The product is outside ``scope``.
            LifecycleError: Not published, too early, or the details are invalid.
        """
        now = self._clock()
        with self._store.write(CONTROL_LOCK) as connection:
            record = self._resolve(connection, reference)
            _check_product(scope, record, "deprecate")
            if replacement is not None:
                self._resolve(connection, replacement)
            state = deprecate(
                record.lifecycle,
                reason=reason,
                sunset=sunset,
                replacement=replacement,
                now=now,
                policy=self._settings.lifecycle,
            )
            updated = self._save_status(connection, record, state, actor, now)
        self._publish_events()
        return updated

    def retire(
        self,
        reference: str,
        *,
        actor: str,
        force: bool = False,
        scope: ChangeScope | None = None,
    ) -> ProductRecord:
        """Retire a deprecated product and delete its topic; this is final.

        Args:
            reference: The product (``name`` or ``name.vN``).
            actor: Who retires it.
            force: Retire although consumers are active; ``actor`` is recorded as who forced.
            scope: The domains ``actor`` may change (``None``: any).

        Raises:
            ProductNotFound: No such product.
            OutsideDomain: The product is outside ``scope``.
            LifecycleError: Not deprecated, too early, or consumers are active without force.
        """
        now = self._clock()
        with self._store.write(CONTROL_LOCK) as connection:
            record = self._resolve(connection, reference)
            _check_product(scope, record, "retire")
            state = retire(
                record.lifecycle,
                active_consumers=self._active_consumers(connection, record),
                force_by=actor if force else None,
                now=now,
                policy=self._settings.lifecycle,
            )
            updated = self._save_status(connection, record, state, actor, now)
        self._delete_topic(updated)
        self._publish_events()
        return updated

    def transfer(
        self,
        reference: str,
        team: str,
        *,
        actor: str,
        note: str | None = None,
        scope: ChangeScope | None = None,
    ) -> Transfer:
        """Give every version of a product to another team of its domain (audited as
        ``product.owner-changed`` per version); the same team again changes nothing.

        Mesh-wide callers (``scope`` ``None``, governance, platform admins) transfer at once.
        Anyone else needs both teams' agreement: a member of the current team offers
        (``product.owner-offered``; nothing moves), then a member of the new team makes the
        same transfer, which completes it. ``apply`` never changes a product's team.

        Args:
            reference: The product (``name`` or ``name.vN``: every version moves).
            team: The new owning team, registered under the product's domain.
            actor: Who transfers it.
            note: Why (recorded with the audit entries).
            scope: The caller's teams and domains (``None``: mesh-wide).

        Returns:
            What happened: moved, or offered and waiting for the new team.

        Raises:
            ProductNotFound: No such product.
            InvalidProductSource: The team is not registered, or is of another domain.
            OutsideDomain: The caller is in neither team.
            TransferNotOffered: A member of the new team asked, and nobody offered.
        """
        _check_name("team", team)
        now = self._clock()
        with self._store.write(CONTROL_LOCK) as connection:
            done = self._transfer_in(connection, reference, team, actor, note, scope, now)
        self._publish_events()
        return done

    def _transfer_in(
        self,
        connection: Connection,
        reference: str,
        team: str,
        actor: str,
        note: str | None,
        scope: ChangeScope | None,
        now: datetime,
    ) -> Transfer:
        current = self._resolve(connection, reference)
        domain = current.descriptor.domain
        found = inventory.team(connection, team)
        if found is None:
            raise InvalidProductSource(
                "team",
                f"team '{team}' is not registered; 'streammesh teams create {team} "
                f"--domain {domain}' first",
            )
        if found.domain != domain:
            raise InvalidProductSource(
                "team",
                f"team '{team}' is of domain '{found.domain or 'none'}' and product "
                f"'{current.name}' of domain '{domain}'; a product belongs to a team of its "
                "own domain",
            )
        old = current.descriptor.team
        if scope is not None and not scope.mesh_wide:
            # Between domain owners both teams agree: the current team's owner offers, the
            # new team's owner completes the same transfer.
            scope.check_member((old, team), domain, "transfer", current.name)
            if old != team and old in scope.teams:
                self.audit.record(
                    connection,
                    AuditEntry(
                        AuditAction.PRODUCT_OWNER_OFFERED,
                        current.reference,
                        actor,
                        before={"team": old},
                        after={"team": team},
                        note=note,
                    ),
                    at=now,
                )
                offered = inventory.product_versions(connection, current.name)
                return Transfer(current.name, team, False, tuple(offered))
            if old != team:
                offer = self._offer(current.name, old, team)
                if offer is None:
                    raise TransferNotOffered(current.name, old, team)
                note = note or f"offered by {offer.actor}"
        versions = inventory.product_versions(connection, current.name)
        moved = []
        for record in versions:
            if record.descriptor.team == team:
                moved.append(record)
                continue
            updated = dataclasses.replace(
                record,
                descriptor=record.descriptor.model_copy(update={"team": team}),
                updated_at=now,
            )
            inventory.save_product(connection, updated)
            fields = self._registry_fields(updated)
            self.catalog.upsert_in(connection, catalog_entry(updated, fields))
            self.audit.record(
                connection,
                AuditEntry(
                    AuditAction.PRODUCT_OWNER_CHANGED,
                    record.reference,
                    actor,
                    before={"team": record.descriptor.team},
                    after={"team": team},
                    note=note,
                ),
                at=now,
            )
            moved.append(updated)
        return Transfer(current.name, team, True, tuple(moved))

    def _offer(self, name: str, old: str, team: str) -> AuditRecord | None:
        """The standing offer of product ``name`` from team ``old`` to ``team``: the latest
        offer or transfer of the product, if it is that offer."""
        latest = None
        after = None
        while True:
            page = self.audit.entries(
                subject_prefix=f"{name}.v",
                actions=(AuditAction.PRODUCT_OWNER_OFFERED, AuditAction.PRODUCT_OWNER_CHANGED),
                after_id=after,
                limit=1000,
            )
            if not page:
                break
            latest, after = page[-1], page[-1].id
        if latest is None or latest.action is not AuditAction.PRODUCT_OWNER_OFFERED:
            return None
        before, after_team = latest.before or {}, latest.after or {}
        return latest if (before.get("team"), after_team.get("team")) == (old, team) else None

    def _save_status(
        self,
        connection: Connection,
        record: ProductRecord,
        state: LifecycleState,
        actor: str,
        now: datetime,
    ) -> ProductRecord:
        updated = dataclasses.replace(
            record,
            status=state.status,
            status_since=state.since,
            deprecation=state.deprecation,
            forced_by=state.forced_by,
            updated_at=now,
        )
        inventory.save_product(connection, updated)
        fields = self._registry_fields(record)
        self.catalog.upsert_in(connection, catalog_entry(updated, fields))
        note = f"forced by {state.forced_by}" if state.forced_by else None
        self.audit.record(
            connection,
            AuditEntry(
                status_action(state.status),
                record.reference,
                actor,
                before=status_document(record.lifecycle),
                after=status_document(state),
                note=note,
            ),
            at=now,
        )
        return updated

    def _registry_fields(self, record: ProductRecord) -> tuple[SchemaField, ...]:
        stored = self._registry.schema(record.schema_id)
        return tuple(format_for(stored.schema_type).parse(stored.schema).fields())

    def _delete_topic(self, record: ProductRecord) -> None:
        with contextlib.suppress(TopicNotFound):
            self._log.delete_topic(record.topic)

    # -- applications ----------------------------------------------------------------------------

    def register_application(
        self,
        reference: str,
        application: str,
        *,
        role: ApplicationRole,
        principal: str,
        group: str | None = None,
    ) -> ApplicationRecord:
        """Record that ``application`` consumes (or produces to) a product; returns the
        registration. Seen again, an application's ``last_seen`` moves on.

        Raises:
            ProductNotFound: No such product.
            NotAcceptingConsumers: A new consumer of a deprecated or retired product.
            InvalidProductSource: The application name is not a valid name.
            ConsumerGroupTaken: ``group`` was registered with the product by another
                principal.
        """
        problem = check_segment("application", application)
        if problem is not None:
            raise InvalidProductSource("application", problem)
        now = self._clock()
        with self._store.write(CONTROL_LOCK) as connection:
            record = self._resolve(connection, reference)
            key = (record.name, record.version)
            if role is ApplicationRole.CONSUMER:  # a group's offsets are its owner's
                check_group_owner(connection, key, record.reference, group, principal)
            existing = inventory.application(connection, key, application, role)
            if existing is not None:
                return inventory.touch_application(connection, existing, now)
            if role is ApplicationRole.CONSUMER and not accepts_new_consumers(record.lifecycle):
                replacement = record.deprecation.replacement if record.deprecation else None
                raise NotAcceptingConsumers(
                    record.reference, record.status, application, replacement or record.replaced_by
                )
            registered = ApplicationRecord(
                record.name, record.version, application, role, group, principal, now, now
            )
            inventory.save_application(connection, registered)
            self.audit.record(
                connection,
                AuditEntry(
                    AuditAction.APPLICATION_REGISTERED,
                    record.reference,
                    principal,
                    after=registered.document(active=True),
                ),
                at=now,
            )
        self._publish_events()
        return registered

    def applications(self, reference: str) -> list[tuple[ApplicationRecord, bool]]:
        """The applications registered with a product version, each with whether it is active."""
        with self._store.read() as connection:
            record = self._resolve(connection, reference)
            found = inventory.product_applications(connection, record.name, record.version)
        cutoff = self._clock() - self._settings.consumer_active_window
        return [(app, app.last_seen >= cutoff) for app in found]

    def _active_consumers(self, connection: Connection, record: ProductRecord) -> int:
        cutoff = self._clock() - self._settings.consumer_active_window
        return sum(
            1
            for app in inventory.product_applications(connection, record.name, record.version)
            if app.role is ApplicationRole.CONSUMER and app.last_seen >= cutoff
        )

    # -- reading ---------------------------------------------------------------------------------

    def product(self, reference: str) -> ProductRecord:
        """A product version: ``name.vN`` exactly, or for a bare ``name`` its current version
        (the highest published one, else the highest that is not retired, else the highest).

        Raises:
            ProductNotFound: No such product (with close names as hints).
        """
        with self._store.read() as connection:
            return self._resolve(connection, reference)

    def versions(self, name: str) -> list[ProductRecord]:
        """Every version of product ``name`` (``ProductNotFound`` when none)."""
        with self._store.read() as connection:
            found = inventory.product_versions(connection, name)
            if not found:
                raise ProductNotFound(name, self._close_names(connection, name))
            return found

    def products(
        self, *, domain: str | None = None, statuses: frozenset[Status] | None = None
    ) -> list[ProductRecord]:
        """Every product version of the mesh, by name and version, optionally filtered."""
        with self._store.read() as connection:
            return inventory.all_products(connection, domain=domain, statuses=statuses)

    def _resolve(self, connection: Connection, reference: str) -> ProductRecord:
        match = _VERSIONED.match(reference)
        if match is not None:
            found = inventory.product(connection, match["name"], int(match["version"]))
            if found is None:
                raise ProductNotFound(reference, self._close_names(connection, match["name"]))
            return found
        versions = inventory.product_versions(connection, reference)
        if not versions:
            raise ProductNotFound(reference, self._close_names(connection, reference))
        published = [record for record in versions if record.status is Status.PUBLISHED]
        living = [record for record in versions if record.status is not Status.RETIRED]
        return (published or living or versions)[-1]

    @staticmethod
    def _close_names(connection: Connection, name: str) -> list[str]:
        return difflib.get_close_matches(name, inventory.product_names(connection), n=3)

    # -- domains and teams -----------------------------------------------------------------------

    def register_domain(
        self,
        name: str,
        *,
        description: str | None,
        actor: str,
        scope: ChangeScope | None = None,
    ) -> DomainRecord:
        """Register (or describe again) a domain.

        ``scope`` (``None``: any domain) must cover the domain, so a new domain is registered
        only mesh-wide (governance, platform admin) and a domain owner describes its own.

        Raises:
            OutsideDomain: The domain is outside ``scope``.
        """
        _check_name("domain", name)
        now = self._clock()
        with self._store.write(CONTROL_LOCK) as connection:
            before = inventory.domain(connection, name)
            if scope is not None:
                scope.check(name, "describe" if before else "register", f"domain:{name}")
            record = DomainRecord(
                name,
                description,
                before.created_at if before else now,
                before.created_by if before else actor,
            )
            inventory.save_domain(connection, record)
            self.audit.record(
                connection,
                AuditEntry(
                    AuditAction.DOMAIN_REGISTERED,
                    f"domain:{name}",
                    actor,
                    before=before.document() if before else None,
                    after=record.document(),
                ),
                at=now,
            )
        self._publish_events()
        return record

    def register_team(
        self,
        name: str,
        *,
        domain: str | None,
        email: str | None,
        description: str | None,
        actor: str,
        scope: ChangeScope | None = None,
    ) -> TeamRecord:
        """Register (or describe again) a team, optionally of a registered domain.

        ``scope`` (``None``: any) must cover the team's stored domain (or the team itself) and
        the domain it is registered under now: a domain owner registers and describes only
        its own domains' teams, and cannot move a team out of them.

        Raises:
            InvalidProductSource: A bad name, or the domain is not registered.
            OutsideDomain: The team (or the domain given) is outside ``scope``.
        """
        _check_name("team", name)
        now = self._clock()
        with self._store.write(CONTROL_LOCK) as connection:
            if domain is not None and inventory.domain(connection, domain) is None:
                raise InvalidProductSource(
                    "team", f"domain '{domain}' is not registered; register it first"
                )
            before = inventory.team(connection, name)
            if scope is not None and not scope.mesh_wide:
                subject = f"team:{name}"
                if before is not None:
                    scope.check_team(name, before.domain, "describe", subject)
                if domain is None:
                    mine = ", ".join(sorted(scope.domains)) or "none"
                    raise InvalidProductSource(
                        "team", f"give the domain of team '{name}' (yours: {mine})"
                    )
                # Membership of the team is not enough here: it would let an owner move its
                # own team into a domain it does not own.
                scope.check(domain, "register", subject)
            record = TeamRecord(
                name,
                domain,
                email,
                description,
                before.created_at if before else now,
                before.created_by if before else actor,
            )
            inventory.save_team(connection, record)
            self.audit.record(
                connection,
                AuditEntry(
                    AuditAction.TEAM_REGISTERED,
                    f"team:{name}",
                    actor,
                    before=before.document() if before else None,
                    after=record.document(),
                ),
                at=now,
            )
        self._publish_events()
        return record

    def domains(self) -> list[DomainRecord]:
        with self._store.read() as connection:
            return inventory.all_domains(connection)

    def teams(self, *, domain: str | None = None) -> list[TeamRecord]:
        with self._store.read() as connection:
            return inventory.all_teams(connection, domain_name=domain)

    # -- events ----------------------------------------------------------------------------------

    def relay_events(self) -> int:
        """Append audit rows not relayed yet to ``_mesh.events`` (e.g. left by a crash);
        returns how many."""
        return self._relay.relay()

    def close(self) -> None:
        """Release the event relay's producer (the store and the log stay open)."""
        self._relay.close()

    def _publish_events(self) -> None:
        # The change is committed with its audit rows; if the log cannot take the events now,
        # the next command (or server start) relays them, so the command still succeeds.
        try:
            self._relay.relay()
        except LogError as exc:
            _LOGGER.warning("mesh events not relayed yet (will retry): %s", exc)


def _check_product(scope: ChangeScope | None, record: ProductRecord, action: str) -> None:
    if scope is not None:
        scope.check(record.descriptor.domain, action, record.reference)


def _check_name(kind: str, name: str) -> None:
    problem = check_segment(kind, name)
    if problem is not None:
        raise InvalidProductSource(kind, problem)


__all__ = ["ApplyResult", "ControlError", "ControlPlane", "Transfer"]
