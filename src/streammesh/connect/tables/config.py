"""The ``config:`` block of a ``table`` sink connector."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from streammesh.connect.config_types import SqlName, TableName


class Mode(StrEnum):
    """How events become rows."""

    AUTO = "auto"
    """Upsert when the product's key field is given (a state product), append otherwise."""
    UPSERT = "upsert"
    """One row per key: insert or update by key, delete on a tombstone."""
    APPEND = "append"
    """One row per event; tombstones are skipped."""


class ProductTable(BaseModel):
    """Where one product lands.

    Attributes:
        table: The table (``orders`` or ``schema.orders``); default: the product's reference
            with ``_`` for dots and dashes (``shop_orders_v1``).
        key: The product's key field, the table's primary key (state products).
        mode: Overrides the connector's ``mode`` for this product.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    table: TableName | None = Field(default=None, description="Table, optionally schema.table.")
    key: SqlName | None = Field(default=None, description="The product's key field (primary key).")
    mode: Mode | None = Field(default=None, description="auto | upsert | append.")


class Config(BaseModel):
    """Settings of a table sink (PostgreSQL or SQLite).

    Example::

        config:
          url: ${ORDERS_DB_URL}          # postgresql://user:pw@host/db or sqlite:///path
          products:
            shop.customers.v1: { key: customer_id }      # upsert / delete
            shop.page-views.v1: { table: page_views }    # append
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: SecretStr = Field(description="postgresql://... or sqlite:///<path>; never printed.")
    products: dict[str, ProductTable] = Field(
        default_factory=dict,
        description="Per product (reference or name), its table, key and mode.",
    )
    mode: Mode = Field(default=Mode.AUTO, description="auto | upsert | append.")
    batch_size: int = Field(
        default=1000, gt=0, description="Rows written per transaction (with their offsets)."
    )

    @model_validator(mode="after")
    def _upsert_needs_key(self) -> Config:
        for product, target in self.products.items():
            if (target.mode or self.mode) is Mode.UPSERT and target.key is None:
                raise ValueError(f"products.{product}: mode 'upsert' needs 'key'")
        return self
