"""``LocalMesh``: a mesh's services opened in this process (store, log, registry, control plane,
access control and the privacy key store)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from streammesh.access import AccessControl
from streammesh.config import MeshConfig
from streammesh.control.plane import ControlPlane
from streammesh.control.settings import ControlSettings
from streammesh.log import EventLog, LogConfig, open_log
from streammesh.privacy import KeyStore, LocalKms
from streammesh.registry.sql import SqlSchemaRegistry
from streammesh.sqlite_file import private_directory
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

        The mesh directory is made private (0700) and what is created in it while opening is
        private too (0600 files, 0700 directories), whatever the process umask.

        Raises:
            StoreError: The metadata store cannot be opened or migrated, or is damaged.
            LogError: The event log cannot be opened, or is damaged.
            MasterKeyMissing: ``privacy/master.key`` is missing while the store holds keys
                wrapped by it (restore it from a backup).
            ConfigError: ``kafka.acls`` is on and the log is not Kafka.
        """
        acls = _kafka_acls(config, log_config)  # a bad setting fails before anything opens
        with _private_files():
            if config.store_url.startswith("sqlite:") or config.embedded:
                # Also tightens an existing mesh made before its files were private.
                private_directory(config.home)
            store = open_store(config.store_url)
            try:
                log = open_log(config.log_url, log_config or LogConfig())
            except BaseException:
                store.close()
                raise
        try:
            kms = LocalKms.for_mesh(config.home, KeyStore(store).wrapped_keys)
            kms.check_present()  # refuse to start rather than lose every encrypted field
        except BaseException:
            log.close()
            store.close()
            raise
        registry = SqlSchemaRegistry(store)
        settings = ControlSettings(config.lifecycle, config.consumer_active_window)
        plane = ControlPlane(store, log, registry, settings=settings)
        keys = KeyStore(store, kms)
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


@contextmanager
def _private_files() -> Iterator[None]:
    """Create files 0600 and directories 0700 inside the block (the umask is per process, so
    threads creating files meanwhile get private ones too, which is the safe side)."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)
