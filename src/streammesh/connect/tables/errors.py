"""Errors of the table sink. None of them carries the database URL (it holds credentials)."""

from __future__ import annotations

from streammesh.connect.errors import ConnectError


class TableSinkError(ConnectError):
    """Base of the table sink's errors."""


class UnsupportedDatabaseUrl(TableSinkError):
    """The ``url`` is neither ``postgresql://...`` nor ``sqlite:///<path>``.

    Attributes:
        scheme: The scheme given (the rest of the URL is never repeated).
    """

    def __init__(self, scheme: str) -> None:
        self.scheme = scheme
        super().__init__(
            f"the table sink's url has scheme '{scheme}'; use postgresql://... (psycopg 3) "
            "or sqlite:///<path>"
        )


class DatabaseUnavailable(TableSinkError):
    """The database could not be reached or refused a statement.

    Attributes:
        connector: The connector's name.
        reason: The driver's message, without the URL.
    """

    def __init__(self, connector: str, reason: str) -> None:
        self.connector = connector
        self.reason = reason
        super().__init__(f"connector '{connector}': the table sink's database failed: {reason}")


class UnsupportedColumnType(TableSinkError):
    """A field of a product's schema has a type no column can hold.

    Attributes:
        subject: The product and schema id.
        field: The field.
        reason: What is wrong.
    """

    def __init__(self, subject: str, field: str, reason: str) -> None:
        self.subject = subject
        self.field = field
        self.reason = reason
        super().__init__(f"{subject}: field '{field}' cannot become a column: {reason}")


class IncompatibleTableChange(TableSinkError):
    """A product's new schema does not fit its table: a column's type changed, or a new
    field is required (no null, no default) so existing rows could not hold it.

    Attributes:
        table: The table.
        column: The column.
        reason: What changed.
    """

    def __init__(self, table: str, column: str, reason: str) -> None:
        self.table = table
        self.column = column
        self.reason = reason
        super().__init__(
            f"table '{table}', column '{column}': {reason}; the sink stops rather than "
            "land rows that do not fit — migrate the table (or land the new major version "
            "in a new table) and restart the connector"
        )


class KeyMissing(TableSinkError):
    """A product is upserted but its key field is not configured.

    Attributes:
        product: The product.
    """

    def __init__(self, product: str) -> None:
        self.product = product
        super().__init__(
            f"product '{product}' is landed in upsert mode but has no key: set "
            f"products.{product}.key to its key field, or mode: append"
        )


class RowRefused(TableSinkError):
    """The database refused a row for its values (a number out of range, text that is not a
    uuid, a value the driver cannot pass): the row goes to the dead letters, the sink goes on.

    Attributes:
        connector: The connector's name.
        reason: The driver's message.
    """

    def __init__(self, connector: str, reason: str) -> None:
        self.connector = connector
        self.reason = reason
        super().__init__(f"connector '{connector}': the database refused a row: {reason}")
