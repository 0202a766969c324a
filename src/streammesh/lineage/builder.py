"""``MeshLineage``: the lineage graph built from what the mesh has seen happen.

Sources, each an edge origin:

- registrations (:class:`~streammesh.lineage.graph.Origin` ``registration``): applications
  registered with a product version by the SDK consumer, REST consume or a producer, with
  their ``last_seen``, whether they are active and — for consumer groups — their lag by
  offsets;
- grants (``grant``): active access grants, each a consuming service account;
- declarations (``declared``): a product's ``upstreams`` (derives) and ``ports`` (sinks);
- OpenLineage run events (``openlineage``): jobs and the datasets they read and wrote.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from streammesh.access import AccessService, AccessState
from streammesh.catalog import CatalogEntry, ProductNotInCatalog
from streammesh.control import (
    ApplicationRecord,
    ApplicationRole,
    ControlPlane,
    ProductNotFound,
    ProductRecord,
)
from streammesh.identity import AccountStore
from streammesh.lineage.export import export_events
from streammesh.lineage.facets import Datasource, product_facets
from streammesh.lineage.graph import (
    Activity,
    Direction,
    Edge,
    EdgeKind,
    LineageGraph,
    Node,
    NodeKind,
    Origin,
    application_id,
    dataset_id,
    product_id,
)
from streammesh.lineage.lag import group_lag
from streammesh.lineage.openlineage import MESH_NAMESPACE, DatasetRef, ObservedJob
from streammesh.lineage.runs import OpenLineageRuns
from streammesh.log import EventLog
from streammesh.store import MetadataStore

_TOPIC = re.compile(r"^[^.]+\.[^.]+\.v[1-9][0-9]*$")


@dataclass(frozen=True, slots=True)
class Owners:
    """Who owns applications: the team of each principal, and each team's e-mail."""

    teams_of: dict[str, str] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)

    def team(self, *names: str) -> str | None:
        for name in names:
            if name in self.teams_of:
                return self.teams_of[name]
        return None


class _Builder:
    """Collects nodes and merges edges seen from several sources."""

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.edges: dict[tuple[str, str, EdgeKind], Edge] = {}

    def node(self, node: Node) -> str:
        known = self.nodes.get(node.id)
        if known is None or (known.team is None and node.team is not None):
            self.nodes[node.id] = node
        return node.id

    def edge(
        self, source: str, target: str, kind: EdgeKind, origin: Origin, activity: Activity
    ) -> None:
        key = (source, target, kind)
        known = self.edges.get(key)
        if known is None:
            self.edges[key] = Edge(source, target, kind, frozenset({origin}), activity)
            return
        self.edges[key] = Edge(
            source, target, kind, known.origins | {origin}, _merge(known.activity, activity)
        )

    def graph(self) -> LineageGraph:
        return LineageGraph.of(self.nodes.values(), self.edges.values())


def _merge(first: Activity, second: Activity) -> Activity:
    seen = [moment for moment in (first.last_seen, second.last_seen) if moment is not None]
    actives = [flag for flag in (first.active, second.active) if flag is not None]
    return Activity(
        last_seen=max(seen) if seen else None,
        active=any(actives) if actives else None,
        lag=first.lag if first.lag is not None else second.lag,
        rate=first.rate if first.rate is not None else second.rate,
    )


class MeshLineage:
    """The lineage of one mesh.

    Args:
        plane: The control plane (products, registered applications, teams).
        store: The metadata store, for access grants, service-account teams and OpenLineage
            runs; without it the graph holds registrations and declarations only.
        log: The event log, for consumer-group lag by offsets; without it lag is unknown.

    Example:
        >>> lineage = MeshLineage(mesh.plane, mesh.store, mesh.log)
        >>> graph = lineage.around("execution.stocktrades", Direction.DOWNSTREAM, depth=2)
        >>> [node.name for node in graph.nodes.values()]
        ['fraud-detector', 'execution.stocktrades.v1']
    """

    def __init__(
        self,
        plane: ControlPlane,
        store: MetadataStore | None = None,
        log: EventLog | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.plane = plane
        self._store = store
        self._log = log
        self._clock = clock or (lambda: datetime.now(UTC))
        self.runs = OpenLineageRuns(store) if store is not None else None
        """OpenLineage jobs (``None`` without a store)."""

    def graph(self) -> LineageGraph:
        """The whole mesh's lineage."""
        builder = _Builder()
        products = self.plane.products()
        owners = self._owners()
        topics = {record.reference: record for record in products}
        for record in products:
            builder.node(_product_node(record))
        registrations = {
            record.reference: self.plane.applications(record.reference) for record in products
        }
        for record in products:
            self._registrations(builder, record, registrations[record.reference], owners)
            self._declarations(builder, record)
        self._grants(builder, topics, registrations, owners)
        for job in self.runs.jobs() if self.runs is not None else ():
            _job(builder, job, topics, owners)
        return builder.graph()

    def export(self, *, dataset_namespace: str = MESH_NAMESPACE) -> list[dict[str, Any]]:
        """The graph's jobs and datasets as OpenLineage run events (see
        :func:`~streammesh.lineage.export.export_events`)."""
        jobs = self.runs.jobs() if self.runs is not None else []
        return export_events(
            self.graph(),
            jobs,
            now=self._clock(),
            dataset_namespace=dataset_namespace,
            facets=self.dataset_facets(),
        )

    def dataset_facets(self) -> dict[str, dict[str, Any]]:
        """The standard OpenLineage dataset facets of every product version, by topic."""
        source = Datasource(
            MESH_NAMESPACE, self._log.url if self._log is not None else f"{MESH_NAMESPACE}:"
        )
        found: dict[str, dict[str, Any]] = {}
        for record in self.plane.products():
            try:
                entry = self.plane.catalog.get(record.name, record.version)
            except ProductNotInCatalog:
                # Not yet indexed (an apply in flight): the descriptor alone, no fields.
                entry = CatalogEntry.from_descriptor(record.descriptor)
            found[record.topic] = product_facets(entry, source)
        return found

    def product_node(self, reference: str) -> str:
        """The node id of a product (``name`` for its current version, or ``name.vN``).

        Raises:
            ProductNotFound: No such product.
        """
        return product_id(self.plane.product(reference).reference)

    def around(self, reference: str, direction: Direction, depth: int | None) -> LineageGraph:
        """The lineage of one product within ``depth`` hops (``None``: all of it).

        Raises:
            ProductNotFound: No such product.
        """
        start = self.product_node(reference)
        return self.graph().around(start, direction, depth)

    def _owners(self) -> Owners:
        emails = {team.name: team.email for team in self.plane.teams() if team.email}
        if self._store is None:
            return Owners(emails=emails)
        teams_of = {
            account.name: account.team
            for account in AccountStore(self._store).list()
            if account.team is not None
        }
        return Owners(teams_of, emails)

    def _registrations(
        self,
        builder: _Builder,
        record: ProductRecord,
        apps: list[tuple[ApplicationRecord, bool]],
        owners: Owners,
    ) -> None:
        product = product_id(record.reference)
        for app, active in apps:
            team = owners.team(app.name, app.principal)
            node = builder.node(_application_node(app.name, None, team, owners))
            lag = None
            if app.role is ApplicationRole.CONSUMER and app.group and self._log is not None:
                lag = group_lag(self._log, app.group, record.topic)
            activity = Activity(last_seen=app.last_seen, active=active, lag=lag)
            if app.role is ApplicationRole.CONSUMER:
                builder.edge(product, node, EdgeKind.CONSUMES, Origin.REGISTRATION, activity)
            else:
                builder.edge(node, product, EdgeKind.PRODUCES, Origin.REGISTRATION, activity)

    def _declarations(self, builder: _Builder, record: ProductRecord) -> None:
        product = product_id(record.reference)
        for upstream in record.descriptor.upstreams:
            try:
                source = self.plane.product(upstream)
            except ProductNotFound:
                continue  # declared before it was applied; validation reports it
            builder.edge(
                product_id(source.reference), product, EdgeKind.DERIVES, Origin.DECLARED, Activity()
            )
        for port in record.descriptor.ports:
            name = port.location or f"{record.reference}/{port.name}"
            sink = builder.node(
                Node(dataset_id(port.kind.value, name), NodeKind.DATASET, name, port.kind.value)
            )
            builder.edge(product, sink, EdgeKind.WRITES_TO, Origin.DECLARED, Activity())

    def _grants(
        self,
        builder: _Builder,
        topics: dict[str, ProductRecord],
        registrations: dict[str, list[tuple[ApplicationRecord, bool]]],
        owners: Owners,
    ) -> None:
        if self._store is None:
            return
        now = self._clock()
        principals_of = _registering_principals(registrations)
        for request in AccessService(self._store, self.plane).list(state=AccessState.APPROVED):
            if not request.active(now) or request.reference not in topics:
                continue
            product = product_id(request.reference)
            # A service account that registered its consumer is drawn as that application.
            apps = principals_of.get((request.reference, request.principal)) or [request.principal]
            for app in apps:
                team = owners.team(app, request.principal)
                node = builder.node(_application_node(app, None, team, owners))
                activity = Activity(last_seen=request.decided_at)
                builder.edge(product, node, EdgeKind.CONSUMES, Origin.GRANT, activity)


def _registering_principals(
    registrations: dict[str, list[tuple[ApplicationRecord, bool]]],
) -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = {}
    for reference, apps in registrations.items():
        for app, _active in apps:
            if app.role is ApplicationRole.CONSUMER:
                found.setdefault((reference, app.principal), []).append(app.name)
    return found


def _product_node(record: ProductRecord) -> Node:
    return Node(
        product_id(record.reference),
        NodeKind.PRODUCT,
        record.reference,
        team=record.descriptor.team,
        contact=str(record.descriptor.owner.email),
        status=record.status.value,
    )


def _application_node(name: str, namespace: str | None, team: str | None, owners: Owners) -> Node:
    return Node(
        application_id(name, namespace),
        NodeKind.APPLICATION,
        name,
        namespace,
        team=team,
        contact=owners.emails.get(team) if team else None,
    )


def _job(
    builder: _Builder, job: ObservedJob, topics: dict[str, ProductRecord], owners: Owners
) -> None:
    own = job.job.namespace == MESH_NAMESPACE
    name = job.job.name
    team = owners.team(name) if own else None
    node = builder.node(_application_node(name, None if own else job.job.namespace, team, owners))
    activity = Activity(last_seen=job.last_seen)

    def endpoint(dataset: DatasetRef) -> tuple[str, bool]:
        if _TOPIC.match(dataset.name) and dataset.name in topics:
            return product_id(dataset.name), True
        dataset_node = Node(
            dataset_id(dataset.namespace, dataset.name),
            NodeKind.DATASET,
            dataset.name,
            dataset.namespace,
        )
        return builder.node(dataset_node), False

    for dataset in job.inputs:
        source, is_product = endpoint(dataset)
        kind = EdgeKind.CONSUMES if is_product else EdgeKind.READS_FROM
        builder.edge(source, node, kind, Origin.OPENLINEAGE, activity)
    for dataset in job.outputs:
        target, is_product = endpoint(dataset)
        kind = EdgeKind.PRODUCES if is_product else EdgeKind.WRITES_TO
        builder.edge(node, target, kind, Origin.OPENLINEAGE, activity)
