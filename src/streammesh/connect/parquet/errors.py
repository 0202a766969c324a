"""Errors of the Parquet sink."""

from __future__ import annotations

from pathlib import Path

from streammesh.connect.errors import ConnectError


class ParquetSinkError(ConnectError):
    """Base of the Parquet sink's errors."""


class UnsupportedSchema(ParquetSinkError):
    """A product's Avro schema has a shape no Arrow column can hold.

    Attributes:
        subject: The product and schema id (``shop.orders.v1 schema 7``).
        reason: What is wrong, naming the field.
    """

    def __init__(self, subject: str, reason: str) -> None:
        self.subject = subject
        self.reason = reason
        super().__init__(
            f"the Parquet sink cannot map {subject} to Arrow: {reason}; change the product's "
            "schema or land it with the table sink"
        )


class UnreadableSinkFile(ParquetSinkError):
    """A Parquet file under the sink's root has no readable offsets in its metadata.

    Attributes:
        path: The file.
        reason: What could not be read.
    """

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(
            f"the Parquet file '{path}' under the sink's root has no offsets the sink can "
            f"read ({reason}); move files not written by this sink out of its root"
        )
