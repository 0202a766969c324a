"""Errors of the polling source (``kind: jdbc-poll``)."""

from __future__ import annotations

from streammesh.connect.errors import ConnectError


class PollingError(ConnectError):
    """Base of the polling source's errors."""


class DatabaseUnreachable(PollingError):
    """The database cannot be opened or queried (the URL itself is never shown).

    Attributes:
        connector: The connector's name.
        reason: The driver's reason.
    """

    def __init__(self, connector: str, reason: str) -> None:
        self.connector = connector
        self.reason = reason
        super().__init__(f"connector '{connector}': cannot reach its database: {reason}")


class TableNotFound(PollingError):
    """A configured table does not exist.

    Attributes:
        connector: The connector's name.
        table: The table's name as configured.
    """

    def __init__(self, connector: str, table: str) -> None:
        self.connector = connector
        self.table = table
        super().__init__(
            f"connector '{connector}': table '{table}' does not exist in its database; "
            "fix 'tables' in its config or create the table"
        )


class ColumnNotFound(PollingError):
    """A column the config names is not a column of the table.

    Attributes:
        connector: The connector's name.
        table: The table.
        column: The missing column.
        setting: The config setting that names it (``timestamp_column``, ``key``...).
    """

    def __init__(self, connector: str, table: str, column: str, setting: str) -> None:
        self.connector = connector
        self.table = table
        self.column = column
        self.setting = setting
        super().__init__(
            f"connector '{connector}': table '{table}' has no column '{column}' "
            f"(named by '{setting}' in its config)"
        )
