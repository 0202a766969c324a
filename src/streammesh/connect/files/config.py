"""The ``config:`` block of a files source (``kind: files``)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from streammesh.connect.columns import Column, avro_type
from streammesh.connect.config_types import DurationMs

__all__ = ["Config", "FileFormat"]


class FileFormat(StrEnum):
    """How a file's rows are written."""

    CSV = "csv"
    """A header row naming the columns, then one row per event."""
    JSONL = "jsonl"
    """One JSON object per line (JSON lines)."""
    PARQUET = "parquet"
    """Apache Parquet (its Arrow schema gives the types)."""


_EXTENSIONS = {
    ".csv": FileFormat.CSV,
    ".jsonl": FileFormat.JSONL,
    ".ndjson": FileFormat.JSONL,
    ".json": FileFormat.JSONL,
    ".parquet": FileFormat.PARQUET,
}


class Config(BaseModel):
    """Files dropped into a folder become events of one product.

    Attributes:
        folder: The folder watched (not its subfolders).
        product: The product its rows feed.
        format: ``csv``, ``jsonl`` or ``parquet``; by default from each file's extension
            (``.csv``; ``.jsonl``, ``.ndjson``, ``.json``; ``.parquet``).
        pattern: Which file names are read (a glob, ``orders-*.csv``).
        key: The column(s) whose value is the event key (several: a record of them).
        columns: Column → SQL type (PostgreSQL names: ``bigint``, ``numeric(10,2)``,
            ``timestamptz``, ``date``, ``boolean``, ``text``, ``uuid``, ``jsonb``) for CSV and
            JSON lines; columns not given are inferred from the file.
        stable_after: A file is read once its size and modification time have not changed
            for this long (a writer still appending is waited for); ``0`` reads a file as
            soon as it is seen — for writers that write elsewhere and rename into the folder.
        move_done: Move each finished file into ``<folder>/done/`` once its events are
            committed.
        poll_interval: Time between two looks at the folder.
        batch_rows: At most this many rows per poll.
        delimiter: The CSV field delimiter.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    folder: Path
    product: str = Field(min_length=1)
    format: FileFormat | None = None
    pattern: str = Field(default="*", min_length=1)
    key: list[str] = Field(default_factory=list)
    columns: dict[str, str] = Field(default_factory=dict)
    stable_after: DurationMs = Field(default=1_000, ge=0)
    move_done: bool = False
    poll_interval: DurationMs = Field(default=1_000, gt=0)
    batch_rows: int = Field(default=1_000, gt=0)
    delimiter: str = Field(default=",", min_length=1, max_length=1)

    @field_validator("key", mode="before")
    @classmethod
    def _one_key(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("columns")
    @classmethod
    def _known_types(cls, value: dict[str, str]) -> dict[str, str]:
        for name, sql_type in value.items():
            try:
                mapped = avro_type(Column.postgres(name, sql_type))
            except ValueError:
                mapped = {"connect.type": sql_type}
            if isinstance(mapped, dict) and mapped.get("connect.type") not in (None, "json"):
                raise ValueError(
                    f"column '{name}': '{sql_type}' is not a type a file column can have "
                    "(bigint, integer, double precision, numeric(p,s), boolean, text, date, "
                    "timestamptz, time, uuid, jsonb, bytea)"
                )
        return value

    def format_of(self, path: Path) -> FileFormat | None:
        """The format a file is read as: the configured one, else by its extension."""
        return self.format or _EXTENSIONS.get(path.suffix.lower())
