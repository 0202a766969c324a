"""The ``iceberg`` sink: products land in Apache Iceberg tables (pyiceberg, SQL catalog).

One table per product (namespace: its domain; name: its short name), created from the
product's Avro schema with three columns of the sink's (``_partition``, ``_offset``,
``_timestamp``, the event's time it is partitioned by), appended to once per flush. The
catalog's tables live in the mesh's store database unless ``catalog_url`` says otherwise, the
data and metadata files in ``<mesh>/warehouse``.
"""

from __future__ import annotations

from typing import Final

from streammesh.connect.base import ConnectorContext, SinkTask
from streammesh.connect.iceberg.config import Config, Partitioning, Tombstones
from streammesh.connect.iceberg.errors import (
    CatalogUnavailable,
    IcebergSinkError,
    IncompatibleSchemaChange,
    MissingKey,
    NoCatalogGiven,
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
    "NoCatalogGiven",
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

    Without ``catalog_url`` the catalog goes in the store database of the mesh whose worker
    runs the connector, without ``warehouse`` the files go in ``<mesh>/warehouse``.

    Raises:
        NoCatalogGiven: run outside a mesh worker, a setting the mesh would give is missing.
    """
    missing = []
    if config.catalog_url is None and context.store_url is None:
        missing.append("catalog_url")
    if config.warehouse is None and context.mesh_home is None:
        missing.append("warehouse")
    if missing:
        raise NoCatalogGiven(context.name, tuple(missing))
    url = (
        config.catalog_url.get_secret_value()
        if config.catalog_url is not None
        else str(context.store_url)
    )
    warehouse = config.warehouse
    if warehouse is None:
        assert context.mesh_home is not None
        warehouse = context.mesh_home / "warehouse"
    return IcebergSink(config, context, url, warehouse)
