"""Errors of the PostgreSQL sources (change data capture and the outbox)."""

from __future__ import annotations

from streammesh.connect.errors import ConnectError

__all__ = [
    "ColumnMissing",
    "PostgresSourceError",
    "ReplicationUnavailable",
    "SlotMissing",
    "TableNotFound",
    "UndecodableMessage",
]


class PostgresSourceError(ConnectError):
    """Base of the PostgreSQL sources' errors."""


class UndecodableMessage(PostgresSourceError):
    """A replication message the ``pgoutput`` decoder cannot read.

    Attributes:
        reason: What is wrong with it.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"cannot decode a pgoutput replication message: {reason}")


class ReplicationUnavailable(PostgresSourceError):
    """The database refuses logical replication or cannot be reached.

    Attributes:
        connector: The connector's name.
        reason: The database's reason (never the URL or its password).
    """

    def __init__(self, connector: str, reason: str) -> None:
        self.connector = connector
        self.reason = reason
        super().__init__(
            f"connector '{connector}': PostgreSQL logical replication is unavailable: {reason} "
            "(it needs wal_level=logical, a free replication slot and WAL sender "
            "(max_replication_slots, max_wal_senders), and a user with the REPLICATION "
            "attribute)"
        )


class SlotMissing(PostgresSourceError):
    """A restart from a stored position found no replication slot to resume from.

    Attributes:
        connector: The connector's name.
        slot: The slot's name.
    """

    def __init__(self, connector: str, slot: str) -> None:
        self.connector = connector
        self.slot = slot
        super().__init__(
            f"connector '{connector}': replication slot '{slot}' is gone, so the changes after "
            "the stored position cannot be read; delete the connector's offsets to snapshot "
            "again"
        )


class TableNotFound(PostgresSourceError):
    """A configured table does not exist.

    Attributes:
        connector: The connector's name.
        table: The table as configured (``schema.table``).
    """

    def __init__(self, connector: str, table: str) -> None:
        self.connector = connector
        self.table = table
        super().__init__(f"connector '{connector}': table '{table}' does not exist")


class ColumnMissing(PostgresSourceError):
    """A column the connector's settings name is not in its table.

    Attributes:
        connector: The connector's name.
        table: The table (``schema.table``).
        column: The missing column.
    """

    def __init__(self, connector: str, table: str, column: str) -> None:
        self.connector = connector
        self.table = table
        self.column = column
        super().__init__(
            f"connector '{connector}': table '{table}' has no column '{column}' "
            "(see the connector's columns settings)"
        )
