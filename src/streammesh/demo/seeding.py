"""Put the demo's content into a mesh through the platform's own services; safe to repeat.

The first run replays a short history: the products are published, the applications are given
access and registered as consumers, then ``edge.pageviews`` v2 is published and v1 deprecated in
its favour (so the legacy dashboard already reading v1 keeps reading it). Last, the three
reference stream applications (``streammesh.streams.USE_CASES``) get their grants and are
deployed for the server to host, and the Parquet sink of page views (``LAKE``) is recorded
with its service account and read grant, for the server to run. A later run applies the same
descriptors again, which changes nothing, and skips what exists (a stream application stopped
since stays stopped, the sink as it was left).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from streammesh.access import (
    AccessRequest,
    AccessRequestExists,
    AccessService,
    AccessState,
    Caller,
)
from streammesh.connect import Connector, ConnectorManager, UnknownConnector
from streammesh.control import ApplicationRole, ProductNotFound
from streammesh.demo.cast import APPLICATIONS, DOMAINS, LAKE, PENDING, REFERENCE_APPS, TEAMS
from streammesh.demo.generators import now
from streammesh.demo.postgres import ORDERS_CDC
from streammesh.demo.products import (
    INITIAL,
    PAGEVIEWS_V1,
    PAGEVIEWS_V2,
    PRODUCTS,
    Deprecation,
    write_products,
)
from streammesh.identity import AccountKind, Role
from streammesh.products import Status
from streammesh.sdk import InProcessMesh
from streammesh.streams import Placement, StreamApp, UnknownApplication

SEEDER = "demo"
"""Who the audit log records for the demo's changes."""
LAKE_FOLDER = "lake"
"""Where, under the mesh directory, the demo's Parquet sink lands page views."""
SUNSET_AFTER = timedelta(days=90)
"""How long ``edge.pageviews`` v1 stays after its deprecation: one quarter to move."""


@dataclass(frozen=True, slots=True)
class Seeded:
    """What seeding found or did.

    Attributes:
        products: The descriptor folder applied (under the mesh directory).
        first_run: Whether the mesh had no demo content before.
        request: The demo's access request for the owners to decide: pending on a new mesh;
            on a rerun, as decided since (a new pending one when the last was rejected,
            revoked or expired).
        stream_apps: The reference stream applications as recorded (deployed by this run,
            or as an earlier run left them), in the order of ``REFERENCE_APPS``.
        lake: The Parquet sink of page views as recorded (by this run, or as an earlier run
            left it).
        lake_root: The folder its files land in.
        orders_cdc: The CDC connector of the orders table as recorded (when asked for).
    """

    products: Path
    first_run: bool
    request: AccessRequest
    stream_apps: tuple[StreamApp, ...] = ()
    lake: Connector | None = None
    lake_root: Path | None = None
    orders_cdc: Connector | None = None


def seed(mesh: InProcessMesh, directory: Path, *, orders_cdc: bool = False) -> Seeded:
    """Register the demo's domains, teams and accounts, publish its products from descriptor
    files written under ``directory``, grant the applications access and register them, deploy
    the reference stream applications for the server to host, and leave one access request
    pending (unless the owners approved it since the last run). With ``orders_cdc``, the
    change data capture of the orders table into ``shop.orders`` is recorded too
    (:mod:`streammesh.demo.postgres`).

    Raises:
        MeshError: A step was refused (for a mesh whose content contradicts the demo's).
    """
    local = mesh.local
    access = AccessService(local.store, local.plane)
    admin = Caller(SEEDER, Role.PLATFORM_ADMIN)
    for domain, description in DOMAINS.items():
        mesh.register_domain(domain, description=description)
    for team in TEAMS:
        mesh.register_team(
            team.name, domain=team.domain, email=team.email, description=team.description
        )
    _service_accounts(access)
    deprecation = _deprecation(mesh)
    first_run = deprecation is None
    if deprecation is None:
        # History first: v1 was published (and read) before v2 existed.
        mesh.apply([write_products(directory, INITIAL, None)])
        _grant_and_register(mesh, access, admin)
        deprecation = Deprecation(sunset=now().date() + SUNSET_AFTER)
    mesh.apply([write_products(directory, PRODUCTS, deprecation)])
    _grant_and_register(mesh, access, admin)
    for product in PRODUCTS:
        local.plane.register_application(
            product.reference, product.producer, role=ApplicationRole.PRODUCER, principal=SEEDER
        )
    stream_apps = _deploy_use_cases(mesh, access, admin)
    lake_root = directory.parent / LAKE_FOLDER
    lake = _record_lake(mesh, access, admin, lake_root)
    cdc = _record_orders_cdc(mesh, access) if orders_cdc else None
    return Seeded(directory, first_run, _pending(access, admin), stream_apps, lake, lake_root, cdc)


def _record_orders_cdc(mesh: InProcessMesh, access: AccessService) -> Connector:
    """Record the orders table's CDC connector (placement ``server``) as its own service
    account of the product's owning team, unless recorded already (kept as left)."""
    if access.accounts.find(ORDERS_CDC.name) is None:
        access.create_account(
            ORDERS_CDC.name,
            AccountKind.SERVICE_ACCOUNT,
            team=ORDERS_CDC.team,
            description=ORDERS_CDC.description,
            actor=SEEDER,
        )
    manager = ConnectorManager(mesh.local.store)
    try:
        return manager.connector(ORDERS_CDC.name)
    except UnknownConnector:
        pass
    recorded, _ = manager.create(
        ORDERS_CDC.definition(), actor=SEEDER, origin=f"demo connector {ORDERS_CDC.name!r}"
    )
    return recorded


def _service_accounts(access: AccessService) -> None:
    wanted = [(p.producer, str(p.descriptor["team"]), f"Produces {p.name}.") for p in PRODUCTS]
    wanted += [(app.name, app.team, app.description) for app in APPLICATIONS]
    wanted.append((PENDING.application, PENDING.team, PENDING.description))
    wanted += [(app.name, app.team, app.use_case.description) for app in REFERENCE_APPS]
    wanted.append((LAKE.name, LAKE.team, LAKE.description))
    for name, team, description in wanted:
        if access.accounts.find(name) is None:
            access.create_account(
                name, AccountKind.SERVICE_ACCOUNT, team=team, description=description, actor=SEEDER
            )


def _deprecation(mesh: InProcessMesh) -> Deprecation | None:
    """The deprecation already recorded for ``edge.pageviews`` v1, or ``None`` on a new mesh."""
    try:
        record = mesh.product(PAGEVIEWS_V1)
    except ProductNotFound:
        return None
    if record.status is Status.PUBLISHED or record.deprecation is None:
        # Seeding stopped between the two applies: finish the story with a new sunset.
        return Deprecation(sunset=now().date() + SUNSET_AFTER)
    return Deprecation(
        sunset=record.deprecation.sunset,
        reason=record.deprecation.reason,
        replacement=record.deprecation.replacement or PAGEVIEWS_V2,
    )


def _grant_and_register(mesh: InProcessMesh, access: AccessService, admin: Caller) -> None:
    for app in APPLICATIONS:
        for reference in app.reads:
            try:
                record = mesh.product(reference)
            except ProductNotFound:
                continue  # v2 of page views, before it is published
            if record.status is not Status.PUBLISHED:
                continue  # a deprecated product takes no new readers; its old ones stay
            request = _ensure_request(access, reference, app.name, app.purpose, app.classified)
            if request.state is AccessState.REQUESTED:
                access.approve(request.id, caller=admin, note="demo: approved by the owner")
            # Opening the consumer registers the application; the traffic reads later.
            as_app = InProcessMesh(mesh.local, actor=app.name, principal=app.name)
            as_app.consumer(reference, app.name).close()


def _deploy_use_cases(
    mesh: InProcessMesh, access: AccessService, admin: Caller
) -> tuple[StreamApp, ...]:
    """Grant each use case's service account its inputs and deploy it (placement ``server``)
    unless it is recorded already: a rerun keeps what was stopped, reset or redeployed."""
    streams = mesh.local.streams
    recorded: list[StreamApp] = []
    for app in REFERENCE_APPS:
        case = app.use_case
        for reference, classified in app.reads:
            request = _ensure_request(access, reference, app.name, app.purpose, classified)
            if request.state is AccessState.REQUESTED:
                access.approve(request.id, caller=admin, note="demo: approved by the owner")
        try:
            recorded.append(streams.application(case.name))
            continue
        except UnknownApplication:
            pass
        recorded.append(
            streams.deploy(
                case.name,
                case.sql,
                principal=case.name,
                placement=Placement.SERVER,
                actor=SEEDER,
                descriptor=case.descriptor,
            )
        )
    return tuple(recorded)


def _record_lake(
    mesh: InProcessMesh, access: AccessService, admin: Caller, root: Path
) -> Connector:
    """Grant the Parquet sink's service account a read of page views and record the
    connector (placement ``server``) unless it is recorded already: a rerun keeps it as it
    was left (paused, or its definition changed)."""
    request = _ensure_request(access, LAKE.product, LAKE.name, LAKE.purpose, False)
    if request.state is AccessState.REQUESTED:
        access.approve(request.id, caller=admin, note="demo: approved by the owner")
    manager = ConnectorManager(mesh.local.store)
    try:
        return manager.connector(LAKE.name)
    except UnknownConnector:
        pass
    recorded, _ = manager.create(
        LAKE.definition(root), actor=SEEDER, origin=f"demo connector {LAKE.name!r}"
    )
    return recorded


def _ensure_request(
    access: AccessService, reference: str, application: str, purpose: str, classified: bool
) -> AccessRequest:
    for existing in access.list(product=reference, principal=application):
        if existing.state in (AccessState.REQUESTED, AccessState.APPROVED):
            return existing
    return access.request(
        reference,
        application,
        purpose=purpose,
        classified=classified,
        caller=Caller(application, Role.CONSUMER),
    )


def _pending(access: AccessService, admin: Caller) -> AccessRequest:
    try:
        return access.request(
            PENDING.product,
            PENDING.application,
            purpose=PENDING.purpose,
            classified=PENDING.classified,
            caller=admin,
        )
    except AccessRequestExists as exists:
        return access.get(exists.existing)
