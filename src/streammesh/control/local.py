"""``LocalMesh``: a mesh's services opened in this process (store, log, registry, control plane,
access control and the privacy key store)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from streammesh.access import AccessControl
from streammesh.config import MeshConfig
from streammesh.control.plane import ControlPlane
from streammesh.control.settings import ControlSettings
from streammesh.log import EventLog, LogConfig, open_log
from streammesh.privacy import KeyStore, LocalKms
from streammesh.registry.sql import SqlSchemaRegistry
from streammesh.store import MetadataStore, open_store

if TYPE_CHECKING:
    from streammesh.log.kafka.acls import KafkaAcls


@dataclass(frozen=True, slots=True)
class LocalMesh:
    """The open services of one mesh; close it when done (it is a context manager)."""

    config: MeshConfig
    store: MetadataStore
    log: EventLog
    registry: SqlSchemaRegistry
    plane: ControlPlane
    access: AccessControl
    """Grants: who may read and write which product version."""
    keys: KeyStore
    """Data keys of encrypted fields: one per process, so its cache and audit batching work."""
    acls: KafkaAcls | None = None
    """The Kafka cluster's ACL bindings when ``kafka.acls`` is on (for ``AccessService``)."""

    @classmethod
    def open(cls, config: MeshConfig, log_config: LogConfig | None = None) -> LocalMesh:
        """Open (creating when missing) the mesh ``config`` describes.

        Raises:
            StoreError: The metadata store cannot be opened or migrated.
            LogError: The event log cannot be opened.
            ConfigError: ``kafka.acls`` is on and the log is not Kafka.
        """
        acls = _kafka_acls(config, log_config)  # a bad setting fails before anything opens
        if config.store_url.startswith("sqlite:") or config.embedded:
            config.home.mkdir(parents=True, exist_ok=True)
        store = open_store(config.store_url)
        try:
            log = open_log(config.log_url, log_config or LogConfig())
        except BaseException:
            store.close()
            raise
        registry = SqlSchemaRegistry(store)
        settings = ControlSettings(config.lifecycle, config.consumer_active_window)
        plane = ControlPlane(store, log, registry, settings=settings)
        keys = KeyStore(store, LocalKms.for_mesh(config.home))
        return cls(config, store, log, registry, plane, AccessControl(store), keys, acls)

    def close(self) -> None:
        """Close the log and the store."""
        try:
            self.plane.close()
            self.log.close()
        finally:
            self.store.close()

    def __enter__(self) -> LocalMesh:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _kafka_acls(config: MeshConfig, log_config: LogConfig | None) -> KafkaAcls | None:
    """The ACL admin of the mesh's Kafka cluster when ``kafka.acls`` is on (sends nothing)."""
    if not config.kafka_acls:
        return None
    from streammesh.log.kafka.acls import KafkaAcls  # the [kafka] extra; only when asked

    return KafkaAcls.for_log(config.log_url, log_config)
