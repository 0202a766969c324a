"""The ``config:`` block of a polling source (``kind: jdbc-poll``)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from streammesh.connect.config_types import DurationMs, SqlName, TableName

__all__ = ["Config", "Mode", "SoftDelete"]


class Mode(StrEnum):
    """How new and changed rows are found, as Kafka Connect's JDBC source defines it."""

    BULK = "bulk"
    """Every poll reads the whole table again."""
    INCREMENTING = "incrementing"
    """Rows whose strictly increasing column is above the last one seen (new rows only)."""
    TIMESTAMP = "timestamp"
    """Rows whose timestamp is after the last one seen (new and updated rows; a row with the
    same timestamp as the last one seen is not read)."""
    TIMESTAMP_INCREMENTING = "timestamp+incrementing"
    """Rows after the last (timestamp, incrementing) pair seen: ties are broken by the
    incrementing column, so nothing is missed nor read twice."""


class SoftDelete(BaseModel):
    """A row marked deleted becomes a tombstone for its key.

    Attributes:
        column: The column that marks a deleted row.
        when: ``not-null``: deleted when the column holds a value (``deleted_at``);
            ``true``: deleted when it is true (``is_deleted``, 1 in SQLite).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: SqlName
    when: Literal["not-null", "true"] = "not-null"


class Config(BaseModel):
    """A polling source: tables of SQLite or PostgreSQL read by queries every interval.

    Attributes:
        url: ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db`` or
            ``postgresql://user:password@host:port/database`` (``${ENV}`` resolved by the
            worker; never shown).
        tables: Table (``orders`` or ``schema.orders``) → the product its rows feed.
        mode: ``bulk``, ``incrementing``, ``timestamp`` or ``timestamp+incrementing``.
        incrementing_column: The strictly increasing column (incrementing modes).
        timestamp_column: The last-modified column (timestamp modes).
        key: The column(s) whose value is the event key (several: a record of them).
        poll_interval: Time between two polls (``5s``).
        timestamp_delay_interval: Rows are read only once their timestamp is this much
            older than the database's clock, so a transaction that commits late with an
            earlier timestamp is not skipped (Kafka Connect's
            ``timestamp.delay.interval.ms``).
        batch_max_rows: At most this many rows per table per query.
        soft_delete: A column marking deleted rows, which become tombstones.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: SecretStr = Field(description="sqlite:///path.db or postgresql://... (never shown)")
    tables: dict[TableName, str] = Field(min_length=1, description="table → product")
    mode: Mode
    incrementing_column: SqlName | None = None
    timestamp_column: SqlName | None = None
    key: list[SqlName] = Field(default_factory=list)
    poll_interval: DurationMs = Field(default=5_000, gt=0)
    timestamp_delay_interval: DurationMs = Field(default=0, ge=0)
    batch_max_rows: int = Field(default=1_000, gt=0)
    soft_delete: SoftDelete | None = None

    @field_validator("key", mode="before")
    @classmethod
    def _one_key(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("url")
    @classmethod
    def _scheme(cls, value: SecretStr) -> SecretStr:
        scheme = value.get_secret_value().split(":", 1)[0].lower()
        if scheme not in ("sqlite", "postgresql", "postgres", "postgresql+psycopg"):
            raise ValueError(
                "the url must start with sqlite:/// or postgresql:// "
                f"(it starts with '{scheme[:20]}:')"
            )
        return value

    @model_validator(mode="after")
    def _mode_columns(self) -> Config:
        needs_incrementing = self.mode in (Mode.INCREMENTING, Mode.TIMESTAMP_INCREMENTING)
        needs_timestamp = self.mode in (Mode.TIMESTAMP, Mode.TIMESTAMP_INCREMENTING)
        if needs_incrementing and self.incrementing_column is None:
            raise ValueError(f"mode '{self.mode}' needs 'incrementing_column'")
        if needs_timestamp and self.timestamp_column is None:
            raise ValueError(f"mode '{self.mode}' needs 'timestamp_column'")
        if self.soft_delete is not None and not self.key:
            raise ValueError("'soft_delete' needs 'key': a tombstone is for a key")
        return self
