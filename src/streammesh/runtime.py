"""``MeshRuntime``: the composition root — the one place that opens a mesh and wires its services.

The CLI, the server and the SDK all open a mesh through :meth:`MeshRuntime.open`: it opens the
metadata store, the event log and the schema registry once, and builds every service on them
(control plane, grants and access requests, data keys, policies, governance, lineage,
notifications, monitoring, the data plane, stream applications). A new service is added here
and nowhere else; the edges (CLI commands, HTTP routes) only ask the runtime for it.

Example:
    >>> with MeshRuntime.open(MeshConfig.load(Path(".streammesh"))) as mesh:  # doctest: +SKIP
    ...     mesh.plane.products()
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, cast

from streammesh.access import AccessControl, AccessService
from streammesh.config import MeshConfig
from streammesh.control import ControlPlane, ControlSettings
from streammesh.dataplane import DataPlane
from streammesh.governance import GovernanceService, MeshReview, PolicyRegistry
from streammesh.identity import TokenStore
from streammesh.lineage import MeshLineage
from streammesh.log import EventLog, LogConfig, open_log
from streammesh.notify import NotificationService, load_notify_settings
from streammesh.observe import MeshMonitor, SloLedger
from streammesh.privacy import KeyStore, KmsContext, open_kms
from streammesh.registry import SqlSchemaRegistry
from streammesh.sqlite_file import private_directory
from streammesh.store import MAINTENANCE, MetadataStore, StoreTimeouts, open_store

if TYPE_CHECKING:
    from streammesh.connect import ConnectService
    from streammesh.log.kafka import KafkaAcls
    from streammesh.streams import StreamsService

__all__ = ["MeshRuntime"]


@dataclass(frozen=True, slots=True)
class MeshRuntime:
    """Every service of one open mesh; close it when done (it is a context manager).

    The foundations (``store``, ``log``, ``registry``) are opened once; the services are built
    on them when the runtime opens, so every caller in a process shares one of each (one data
    key cache, one policy cache, one grant cache).

    Attributes:
        config: The mesh's settings (``mesh.yaml``, environment, flags).
        store: The metadata store.
        log: The event log.
        registry: The schema registry.
        plane: The control plane: products, lifecycle, applications, domains and teams.
        grants: The grant checks of produce and consume (who may read and write what).
        access: Accounts, access requests and grants as users manage them.
        keys: The data keys of encrypted fields (one per process, so its cache and audit
            batching work).
        policies: The global and per-domain governance policies.
        governance: Policies, proposals and the compliance report.
        lineage: The lineage graph and OpenLineage runs.
        notifications: Subscriptions, the inbox, deliveries and incidents.
        monitor: Throughput, consumer lag and SLO states of products.
        data: The data plane: producers, consumers and samples of products, with the grant
            check and field protection around them.
        acls: The Kafka cluster's ACL bindings when ``kafka.acls`` is on.
    """

    config: MeshConfig
    store: MetadataStore
    log: EventLog
    registry: SqlSchemaRegistry
    plane: ControlPlane
    grants: AccessControl
    access: AccessService
    keys: KeyStore
    policies: PolicyRegistry
    governance: GovernanceService
    lineage: MeshLineage
    notifications: NotificationService
    monitor: MeshMonitor
    data: DataPlane
    acls: KafkaAcls | None = field(default=None)
    _built: dict[str, object] = field(default_factory=dict, repr=False, compare=False)
    """Services built on first use (see :attr:`streams`)."""

    @classmethod
    def open(
        cls,
        config: MeshConfig,
        log_config: LogConfig | None = None,
        store_timeouts: StoreTimeouts = MAINTENANCE,
    ) -> MeshRuntime:
        """Open (creating when missing) the mesh ``config`` describes.

        ``log_config`` and ``store_timeouts`` bound the log's and the store's waits: a
        server's requests are bounded, the CLI's and the SDK's maintenance work is not.

        The mesh directory is made private (0700) and what is created in it while opening is
        private too (0600 files, 0700 directories), whatever the process umask.

        Raises:
            StoreError: The metadata store cannot be opened or migrated, or is damaged.
            LogError: The event log cannot be opened, or is damaged.
            MasterKeyMissing: the local master key (``privacy.kms``; ``privacy/master.key`` by
                default) is missing while the store holds wrapped keys (restore it, or give
                this replica the key the others share).
            MasterKeyNotSet: the master key's environment variable is not set.
            MissingDependency: ``privacy.kms`` names AWS KMS and boto3 is not installed.
            ConfigError: ``kafka.acls`` is on and the log is not Kafka, ``mesh.yaml``'s
                notification settings are invalid, or ``privacy.kms`` names no installed key
                service.
        """
        acls = _kafka_acls(config, log_config)  # a bad setting fails before anything opens
        store, log = _open_foundations(config, log_config, store_timeouts)
        try:
            return cls._wire(config, store, log, acls)
        except BaseException:
            log.close()
            store.close()
            raise

    @classmethod
    def _wire(
        cls, config: MeshConfig, store: MetadataStore, log: EventLog, acls: KafkaAcls | None
    ) -> MeshRuntime:
        """Build every service on the open store and log."""
        # A local master key missing over wrapped keys is refused here (on start rather than
        # on every read); a remote key service is not asked anything yet.
        kms = open_kms(config.kms, KmsContext(config.home, KeyStore(store).wrapped_keys))
        registry = SqlSchemaRegistry(store)
        settings = ControlSettings(config.lifecycle, config.consumer_active_window)
        plane = ControlPlane(store, log, registry, reviews=MeshReview.load, settings=settings)
        governance = GovernanceService(store, plane, registry, log=log)
        grants = AccessControl(store)
        keys = KeyStore(store, kms)
        return cls(
            config=config,
            store=store,
            log=log,
            registry=registry,
            plane=plane,
            grants=grants,
            access=AccessService(store, plane, acls=acls),
            keys=keys,
            policies=governance.policies,
            governance=governance,
            lineage=MeshLineage(plane, store, log),
            notifications=NotificationService(store, plane, load_notify_settings(config.home)),
            monitor=MeshMonitor(plane, log, SloLedger(store)),
            data=DataPlane(plane, log, registry, grants, keys, governance.policies),
            acls=acls,
        )

    @property
    def streams(self) -> StreamsService:
        """Stream applications over data products: products in ``FROM``, outputs published
        as products, their lineage and the grants they need.

        Built on first use: the SQL front end and the engine (sqlglot among them) cost about
        0.25 s of imports, which every CLI command and server start would otherwise pay.
        """
        service = self._built.get("streams")
        if service is None:
            from streammesh.streams import StreamsService  # only when used: import cost

            service = self._built.setdefault(
                "streams",
                StreamsService(
                    self.plane,
                    self.registry,
                    self.grants,
                    keys=self.keys,
                    policies=self.policies,
                    log=self.log,
                ),
            )
        return cast("StreamsService", service)

    @property
    def connect(self) -> ConnectService:
        """Connectors: definitions and the workers that run them (sources feeding products,
        sinks landing them), on this mesh's services. Built on first use."""
        service = self._built.get("connect")
        if service is None:
            from streammesh.connect import ConnectService, WorkerServices

            services = WorkerServices(
                self.plane,
                self.data,
                self.grants,
                self.log,
                self.registry,
                self.config.home,
                self.lineage.runs,
                store_url=self.config.store_url,
            )
            service = self._built.setdefault("connect", ConnectService(services))
        return cast("ConnectService", service)

    def tokens(self, *, remember_s: float = 0.0) -> TokenStore:
        """The API token store; a server remembers verified tokens for ``remember_s``."""
        return TokenStore(self.store, remember_s=remember_s)

    def close(self) -> None:
        """Close the control plane, the log and the store."""
        try:
            self.plane.close()
            self.log.close()
        finally:
            self.store.close()

    def __enter__(self) -> MeshRuntime:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _open_foundations(
    config: MeshConfig, log_config: LogConfig | None, store_timeouts: StoreTimeouts
) -> tuple[MetadataStore, EventLog]:
    """The store and the log, their files private; the store is closed if the log fails."""
    with _private_files():
        if config.store_url.startswith("sqlite:") or config.embedded:
            # Also tightens an existing mesh made before its files were private.
            private_directory(config.home)
        store = open_store(config.store_url, timeouts=store_timeouts)
        try:
            return store, open_log(config.log_url, _with_security(config, log_config))
        except BaseException:
            store.close()
            raise


def _kafka_acls(config: MeshConfig, log_config: LogConfig | None) -> KafkaAcls | None:
    """The ACL admin of the mesh's Kafka cluster when ``kafka.acls`` is on (sends nothing)."""
    if not config.kafka_acls:
        return None
    from streammesh.log.kafka import KafkaAcls

    return KafkaAcls.for_log(config.log_url, _with_security(config, log_config))


def _with_security(config: MeshConfig, log_config: LogConfig | None) -> LogConfig:
    """``log_config`` with the mesh's Kafka security settings: every client the log creates
    (admin, producers, consumers, stream tasks' and connectors' among them) gets them."""
    return replace(log_config or LogConfig(), security=config.kafka_security)


@contextmanager
def _private_files() -> Iterator[None]:
    """Create files 0600 and directories 0700 inside the block (the umask is per process, so
    threads creating files meanwhile get private ones too, which is the safe side)."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)
