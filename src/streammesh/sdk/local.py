"""``InProcessMesh``: the SDK over a mesh opened in this process (no server needed)."""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from streammesh.access import Caller
from streammesh.catalog import SearchResult
from streammesh.config import MeshConfig
from streammesh.control import (
    ApplicationRecord,
    DomainRecord,
    PlanSummary,
    ProductRecord,
    TeamRecord,
    read_product_sources,
)
from streammesh.dataplane import ProductConsumer, ProductProducer
from streammesh.identity import Role
from streammesh.log import ConsumerOptions, KafkaSecurity, ProducerOptions
from streammesh.products import Status
from streammesh.runtime import MeshRuntime
from streammesh.sdk.inprocess.access import InProcessAccess
from streammesh.sdk.inprocess.accounts import InProcessAccounts
from streammesh.sdk.inprocess.governance import InProcessGovernance
from streammesh.sdk.inprocess.lineage import InProcessLineage
from streammesh.sdk.inprocess.monitoring import InProcessMonitoring
from streammesh.sdk.inprocess.notifications import InProcessNotifications
from streammesh.sdk.inprocess.privacy import InProcessPrivacy
from streammesh.sdk.inprocess.tokens import InProcessTokens

if TYPE_CHECKING:  # the stream engine is imported when a pipeline is built, not by every client
    from streammesh.sdk.inprocess.connectors import InProcessConnectors
    from streammesh.sdk.inprocess.streams import InProcessStreams
    from streammesh.streams import Stream


class InProcessMesh:
    """A mesh directory (or configured Kafka + PostgreSQL) used directly from Python.

    Produce and consume go straight to the event log; control-plane operations run the
    :class:`~streammesh.control.ControlPlane` in this process, audited as ``actor``.

    Example:
        >>> with Mesh.open("/tmp/mesh") as mesh:  # doctest: +SKIP
        ...     mesh.apply(["execution/"])
        ...     with mesh.producer("execution.stocktrades") as producer:
        ...         producer.send({"trade_id": "t-1", "symbol": "ACME", "price": 12.5})
    """

    def __init__(self, mesh: MeshRuntime, *, actor: str, principal: str | None = None) -> None:
        self._mesh = mesh
        self.actor = actor
        """Who the audit log records as making changes."""
        self.principal = principal
        """The application (service account) producing and consuming, whose grants are
        checked; ``None`` is the mesh's operator, who holds its keys and is not checked."""

    @classmethod
    def open(
        cls,
        home: str | Path | None = None,
        *,
        log_url: str | None = None,
        store_url: str | None = None,
        actor: str | None = None,
        principal: str | None = None,
        kafka_security: KafkaSecurity | None = None,
    ) -> InProcessMesh:
        """Open the mesh at ``home`` (see :class:`~streammesh.config.MeshConfig`); with
        ``principal``, produce and consume as that application, checked against its grants;
        with ``kafka_security``, its Kafka clients use those settings instead of the
        configured ones."""
        config = MeshConfig.load(
            Path(home) if home is not None else None,
            log_url=log_url,
            store_url=store_url,
            kafka_security=kafka_security,
        )
        return cls(
            MeshRuntime.open(config),
            actor=actor or principal or f"sdk:{getpass.getuser()}",
            principal=principal,
        )

    @property
    def local(self) -> MeshRuntime:
        """The opened services (store, log, registry, control plane)."""
        return self._mesh

    @property
    def notifications(self) -> InProcessNotifications:
        """Subscriptions, inboxes, dead letters and incidents, as the operator."""
        return InProcessNotifications(self._mesh, self.actor)

    @property
    def privacy(self) -> InProcessPrivacy:
        """Crypto-shredding, as the operator."""
        return InProcessPrivacy(self._mesh, self.actor)

    # -- data plane --------------------------------------------------------------------------

    def producer(
        self, reference: str, *, options: ProducerOptions | None = None
    ) -> ProductProducer:
        """A producer of the product's current (or named) version; fields governance asks to
        encrypt are encrypted per entity key.

        Raises:
            ProductNotFound: No such product.
            AccessDenied: ``principal`` is not a service account of the owning team.
        """
        return self._mesh.data.producer(reference, principal=self.principal, options=options)

    def consumer(
        self,
        reference: str,
        group: str,
        *,
        from_beginning: bool = True,
        options: ConsumerOptions | None = None,
    ) -> ProductConsumer:
        """A consumer of the product in consumer group ``group``, registered with the product
        as the consuming application ``group`` (what "active consumers" and lineage count).

        Classified fields are decrypted when the grant includes them (always for the
        operator), and masked otherwise.

        Raises:
            ProductNotFound: No such product.
            AccessDenied: ``principal`` has no grant to read the product.
            NotAcceptingConsumers: ``group`` is new and the product is deprecated or retired.
            ConsumerGroupTaken: ``group`` was registered with the product by another
                principal (the operator included: the group belongs to who registered it).
        """
        # An in-process application has no token: it reads through its grants only.
        reader = None if self.principal is None else Caller(self.principal, Role.CONSUMER)
        return self._mesh.data.consumer(
            reference,
            group,
            reader=reader,
            actor=self.actor,
            from_beginning=from_beginning,
            options=options,
        )

    # -- stream processing -------------------------------------------------------------------

    def stream(self, reference: str) -> Stream:
        """A pipeline (the Python DSL) reading the data product ``reference`` as a stream, its
        columns from the registry as when a product is named in SQL ``FROM``:
        ``mesh.stream("execution.stocktrades").filter(col("price") > 500)``.

        Raises:
            UnknownProduct: no such product (the nearest one suggested).
            InvalidPipeline: the product holds state events: use :meth:`table`.
        """
        from streammesh.streams import SourceKind

        return self.streams.source(reference, SourceKind.STREAM)

    def table(self, reference: str) -> Stream:
        """A pipeline reading the data product ``reference`` (state events) as a table.

        Raises:
            UnknownProduct: no such product (the nearest one suggested).
            InvalidPipeline: the product holds events, not state: use :meth:`stream`.
        """
        from streammesh.streams import SourceKind

        return self.streams.source(reference, SourceKind.TABLE)

    @property
    def streams(self) -> InProcessStreams:
        """Pipelines over this mesh: their SQL, and prepared (planned and checked) as
        ``streammesh streams run`` prepares them."""
        # Imported here: the stream engine is heavy, and most commands never use it.
        from streammesh.sdk.inprocess.streams import InProcessStreams

        return InProcessStreams(self._mesh, self.principal, actor=self.actor)

    @property
    def connectors(self) -> InProcessConnectors:
        """The mesh's connectors: create, list, status, config, pause, resume, restart,
        delete (changes audited as this mesh's actor)."""
        from streammesh.sdk.inprocess.connectors import InProcessConnectors

        return InProcessConnectors(self._mesh, actor=self.actor)

    # -- control plane -----------------------------------------------------------------------

    def product(self, reference: str) -> ProductRecord:
        return self._mesh.plane.product(reference)

    def products(
        self, *, domain: str | None = None, statuses: frozenset[Status] | None = None
    ) -> list[ProductRecord]:
        return self._mesh.plane.products(domain=domain, statuses=statuses)

    def search(self, query: str = "", **filters: Any) -> SearchResult:
        return self._mesh.plane.catalog.search(query, **filters)

    def plan(self, paths: Sequence[str | Path]) -> PlanSummary:
        return PlanSummary.of(self._mesh.plane.plan(read_product_sources(paths)))

    def apply(self, paths: Sequence[str | Path]) -> PlanSummary:
        result = self._mesh.plane.apply(read_product_sources(paths), actor=self.actor)
        return PlanSummary.of(result.plan, tuple(record.reference for record in result.applied))

    def deprecate(
        self, reference: str, *, reason: str, sunset: date, replacement: str | None = None
    ) -> ProductRecord:
        return self._mesh.plane.deprecate(
            reference, reason=reason, sunset=sunset, replacement=replacement, actor=self.actor
        )

    def retire(self, reference: str, *, force: bool = False) -> ProductRecord:
        return self._mesh.plane.retire(reference, actor=self.actor, force=force)

    def transfer(self, reference: str, *, team: str, note: str | None = None) -> ProductRecord:
        self._mesh.plane.transfer(reference, team, actor=self.actor, note=note)
        return self._mesh.plane.product(reference)

    def applications(self, reference: str) -> list[tuple[ApplicationRecord, bool]]:
        return self._mesh.plane.applications(reference)

    def domains(self) -> list[DomainRecord]:
        return self._mesh.plane.domains()

    def teams(self, *, domain: str | None = None) -> list[TeamRecord]:
        return self._mesh.plane.teams(domain=domain)

    def register_domain(self, name: str, *, description: str | None = None) -> DomainRecord:
        return self._mesh.plane.register_domain(name, description=description, actor=self.actor)

    def register_team(
        self,
        name: str,
        *,
        domain: str | None = None,
        email: str | None = None,
        description: str | None = None,
    ) -> TeamRecord:
        return self._mesh.plane.register_team(
            name, domain=domain, email=email, description=description, actor=self.actor
        )

    @property
    def governance(self) -> InProcessGovernance:
        return InProcessGovernance(self._mesh, self.actor)

    @property
    def lineage(self) -> InProcessLineage:
        return InProcessLineage(self._mesh)

    @property
    def monitoring(self) -> InProcessMonitoring:
        return InProcessMonitoring(self._mesh)

    @property
    def access(self) -> InProcessAccess:
        """Access requests and grants, decided as the operator (a platform admin's rights)."""
        return InProcessAccess(self._mesh, self.actor)

    @property
    def accounts(self) -> InProcessAccounts:
        """Users and service accounts, created as the operator (in any team)."""
        return InProcessAccounts(self._mesh, self.actor)

    @property
    def tokens(self) -> InProcessTokens:
        """API tokens, every one managed as the operator."""
        return InProcessTokens(self._mesh, self.actor)

    def close(self) -> None:
        """Close the log and the store."""
        self._mesh.close()

    def __enter__(self) -> InProcessMesh:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
