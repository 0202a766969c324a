"""The ``iceberg`` sink: products land in Apache Iceberg tables (pyiceberg, SQL catalog).

One table per product (namespace: its domain; name: its short name), created from the
product's Avro schema with three columns of the sink's (``_partition``, ``_offset``,
``_timestamp``, the event's time it is partitioned by), appended to once per flush. The
catalog's tables live in the mesh's store database unless ``catalog_url`` says otherwise, the
data and metadata files in ``<mesh>/warehouse``.
"""

from __future__ import annotations

from typing import Final

from streammesh.config import MeshConfig
from streammesh.connect.base import ConnectorContext, SinkTask
from streammesh.connect.iceberg.config import Config, Partitioning, Tombstones
from streammesh.connect.iceberg.errors import (
    CatalogUnavailable,
    IcebergSinkError,
    IncompatibleSchemaChange,
    MissingKey,
    ReservedColumn,
    UnsupportedAvroType,
)
from streammesh.connect.iceberg.sink import (
    CONNECTOR_PROPERTY,
    OFFSETS_PROPERTY,
    IcebergSink,
    stored_offsets,
)

__all__ = [
    "CONNECTOR_PROPERTY",
    "KIND",
    "OFFSETS_PROPERTY",
    "ROLE",
    "CatalogUnavailable",
    "Config",
    "IcebergSink",
    "IcebergSinkError",
    "IncompatibleSchemaChange",
    "MissingKey",
    "Partitioning",
    "ReservedColumn",
    "Tombstones",
    "UnsupportedAvroType",
    "create",
    "stored_offsets",
]

KIND: Final = "iceberg"
ROLE: Final = "sink"


def create(config: Config, context: ConnectorContext) -> SinkTask:
    """The sink task of an ``iceberg`` connector.

    Defaults are resolved from the mesh the connector runs in: its state directory is
    ``<mesh>/connect/<name>/``, so the mesh is two levels up; without ``catalog_url`` the
    catalog goes in the store database of that mesh's configuration (``mesh.yaml``,
    ``$STREAMMESH_STORE``), without ``warehouse`` the files go in ``<mesh>/warehouse``.
    A worker that knows better passes both in ``config``.
    """
    home = context.state_dir.parents[1]
    url = (
        config.catalog_url.get_secret_value()
        if config.catalog_url is not None
        else MeshConfig.load(home).store_url
    )
    warehouse = config.warehouse if config.warehouse is not None else home / "warehouse"
    return IcebergSink(config, context, url, warehouse)
