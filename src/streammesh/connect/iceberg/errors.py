"""Errors of the Iceberg sink: ``IcebergSinkError`` and its leaves."""

from __future__ import annotations

from streammesh.connect.errors import ConnectError


class IcebergSinkError(ConnectError):
    """Base of the Iceberg sink's errors."""


class UnsupportedAvroType(IcebergSinkError):
    """A field of a product's schema has a type no Iceberg column can hold.

    Attributes:
        product: The product's reference.
        field: The field's path (``address.lines``).
        reason: The type and why.
    """

    def __init__(self, product: str, field: str, reason: str) -> None:
        self.product = product
        self.field = field
        self.reason = reason
        super().__init__(
            f"field '{field}' of product '{product}' cannot be an Iceberg column: {reason}; "
            "land this product with the Parquet sink"
        )


class ReservedColumn(IcebergSinkError):
    """A product's field has the name of a column the sink adds (``_partition``...).

    Attributes:
        product: The product's reference.
        field: The field's name.
    """

    def __init__(self, product: str, field: str) -> None:
        self.product = product
        self.field = field
        super().__init__(
            f"field '{field}' of product '{product}' has the name of a column the Iceberg sink "
            "adds (_partition, _offset, _timestamp); rename the field in a new major version"
        )


class IncompatibleSchemaChange(IcebergSinkError):
    """A product's new schema changes a column in a way the Iceberg table cannot follow.

    Attributes:
        table: The table (``namespace.name``).
        field: The column's path.
        old: The column's type in the table.
        new: Its type in the product's new schema.
    """

    def __init__(self, table: str, field: str, old: str, new: str) -> None:
        self.table = table
        self.field = field
        self.old = old
        self.new = new
        super().__init__(
            f"the Iceberg table '{table}' cannot take the new schema: column '{field}' is "
            f"{old} in the table and {new} in the schema (Iceberg only widens int to long, "
            "float to double and a decimal's precision); land the new major version in a "
            "new table"
        )


class MissingKey(IcebergSinkError):
    """A tombstone to delete by key carries no key the sink can match.

    Attributes:
        table: The table.
        key_field: The column holding the key.
        offset: Where the tombstone is (``topic/partition@offset``).
    """

    def __init__(self, table: str, key_field: str, offset: str) -> None:
        self.table = table
        self.key_field = key_field
        self.offset = offset
        super().__init__(
            f"the tombstone at {offset} has no '{key_field}' key to delete from the Iceberg "
            f"table '{table}'"
        )


class CatalogUnavailable(IcebergSinkError):
    """The Iceberg catalog's database or the warehouse could not be used.

    Attributes:
        connector: The connector's name.
        url: The catalog's database URL with its password hidden.
        reason: What failed.
    """

    def __init__(self, connector: str, url: str, reason: str) -> None:
        self.connector = connector
        self.url = url
        self.reason = reason
        super().__init__(
            f"connector '{connector}' cannot use the Iceberg catalog at {url}: {reason}"
        )


class NoCatalogGiven(IcebergSinkError):
    """Run outside a mesh's worker, the sink has no mesh store to keep its catalog in and
    no mesh directory for its files, and the configuration names neither.

    Attributes:
        connector: The connector's name.
        missing: The settings to give (``catalog_url``, ``warehouse``).
    """

    def __init__(self, connector: str, missing: tuple[str, ...]) -> None:
        self.connector = connector
        self.missing = missing
        super().__init__(
            f"iceberg connector '{connector}' runs outside a mesh worker: set "
            + " and ".join(f"config.{name}" for name in missing)
        )
