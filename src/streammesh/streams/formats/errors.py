"""Errors of the key and value formats: a format that cannot carry the columns, a row that
cannot be written, a record that cannot be read, a registered schema with no SQL columns.

Each names the format, the column (``ADDRESS.CITY`` for a field of a struct, ``ITEMS[2]`` for
an array element) and the reason.
"""

from __future__ import annotations

from streammesh.streams.errors import StreamsError


class FormatError(StreamsError):
    """Base of the errors of :mod:`streammesh.streams.formats`."""


class UnsupportedFormat(FormatError):
    """A format cannot carry these columns or these options (KAFKA with two columns, ARRAY in
    DELIMITED, NONE with key columns, a delimiter of two characters...)."""

    def __init__(self, format_name: str, reason: str, column: str | None = None) -> None:
        self.format_name = format_name
        self.column = column
        self.reason = reason
        where = f" for column '{column}'" if column is not None else ""
        super().__init__(f"the {format_name} format cannot be used{where}: {reason}")


class SerializationFailed(FormatError):
    """A row's value does not fit its column's type, so no bytes are written."""

    def __init__(self, format_name: str, column: str, reason: str) -> None:
        self.format_name = format_name
        self.column = column
        self.reason = reason
        super().__init__(
            f"cannot serialize a row as {format_name}: column '{column}': {reason}; nothing "
            "was written"
        )


class DeserializationFailed(FormatError):
    """A record's bytes cannot be read as rows of the columns; ``column`` is ``None`` when the
    record as a whole is unreadable (not JSON, wrong size, no wire-format header)."""

    def __init__(self, format_name: str, reason: str, column: str | None = None) -> None:
        self.format_name = format_name
        self.column = column
        self.reason = reason
        where = f"column '{column}': " if column is not None else ""
        super().__init__(f"cannot deserialize a {format_name} record: {where}{reason}")


class UnmappableSchema(FormatError):
    """A registered schema has a part that no SQL type can hold (a union of two types, a
    recursive record...), so its columns cannot be derived."""

    def __init__(self, schema_name: str, path: str, reason: str) -> None:
        self.schema_name = schema_name
        self.path = path
        self.reason = reason
        super().__init__(
            f"schema '{schema_name}' cannot be read as SQL columns: at '{path}': {reason}"
        )
