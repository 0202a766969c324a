"""``Config``: the ``config:`` block of an ``iceberg`` sink connector."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator


class Partitioning(StrEnum):
    """How a table is partitioned by its ``_timestamp`` column (the event's time)."""

    NONE = "none"
    HOUR = "hour"
    DAY = "day"


class Tombstones(StrEnum):
    """What a tombstone (an event without value) does to the table."""

    SKIP = "skip"
    """Nothing: the table keeps every value it was given (history)."""
    DELETE = "delete"
    """Delete the rows whose ``key_field`` holds the tombstone's key (copy-on-write)."""


class Config(BaseModel):
    """Settings of an Iceberg sink: where its catalog and warehouse are, how tables are named
    and partitioned, and what tombstones do.

    Example (in a connector definition)::

        config:
          partition_by: day
          tombstones: delete
          key_field: order_id
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    catalog_url: SecretStr | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the database that keeps the Iceberg catalog's tables "
            "(iceberg_tables, iceberg_namespace_properties); default: the mesh's store. "
            "May be given as ${ENV_VAR}."
        ),
    )
    catalog_name: str = Field(
        default="streammesh",
        min_length=1,
        description="The catalog's name (the catalog_name column), as engines configure it.",
    )
    warehouse: Path | None = Field(
        default=None,
        description="Folder of the tables' data and metadata files; default <mesh>/warehouse.",
    )
    namespace: str | None = Field(
        default=None,
        description="Namespace of every table; default: the product's domain.",
    )
    tables: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Per product name (shop.orders), the table's name; default: the product's short "
            "name with dashes as underscores."
        ),
    )
    partition_by: Partitioning = Field(
        default=Partitioning.DAY,
        description="Partition by hour or day of the event's time, or not at all.",
    )
    tombstones: Tombstones = Field(
        default=Tombstones.SKIP,
        description="skip: keep every row; delete: delete the rows of the tombstone's key.",
    )
    key_field: str | None = Field(
        default=None,
        description="The column holding the product's key (required with tombstones: delete).",
    )

    @model_validator(mode="after")
    def _key_for_deletes(self) -> Self:
        if self.tombstones is Tombstones.DELETE and not self.key_field:
            raise ValueError("tombstones: delete needs key_field (the column holding the key)")
        return self
