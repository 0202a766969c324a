"""The ``config:`` block of a ``parquet`` sink connector."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from streammesh.connect.config_types import DurationMs


class Partitioning(StrEnum):
    """How records are spread over time folders, by their timestamp (UTC)."""

    HOURLY = "hourly"
    """``dt=2026-12-07/hour=10/``."""
    DAILY = "daily"
    """``dt=2026-12-07/``."""


class Tombstones(StrEnum):
    """What a tombstone (a deleted key of a state product) becomes."""

    SKIP = "skip"
    """Nothing: the file holds the events with values only."""
    FLAG = "flag"
    """A row with ``__deleted`` true and ``__key``; every row then has these two columns."""


class Compression(StrEnum):
    """Parquet column compression."""

    SNAPPY = "snappy"
    ZSTD = "zstd"
    GZIP = "gzip"
    NONE = "none"


class Config(BaseModel):
    """Settings of a Parquet sink.

    Example::

        config:
          root: /data/lake
          partitioning: hourly
          roll_rows: 100000
          roll_interval: 10m
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    root: Path = Field(
        description="The folder the files land in: "
        "<root>/<product>/v<schema id>/dt=<day>/[hour=<hour>/]; owned by this connector."
    )
    partitioning: Partitioning = Field(
        default=Partitioning.HOURLY, description="Time folders by the record's timestamp."
    )
    roll_rows: int = Field(
        default=100_000, gt=0, description="A file is completed once it holds this many rows."
    )
    roll_bytes: int = Field(
        default=128 * 1024 * 1024,
        gt=0,
        description="A file is completed once its rows take this many bytes in memory "
        "(uncompressed Arrow; the file on disk is smaller).",
    )
    roll_interval: DurationMs = Field(
        default=600_000,
        gt=0,
        description='A file is completed this long after its first row ("10m", "30s" or '
        "milliseconds), at the next put or flush.",
    )
    tombstones: Tombstones = Field(
        default=Tombstones.SKIP, description="skip, or flag: a row with __deleted true."
    )
    compression: Compression = Field(default=Compression.SNAPPY, description="Codec.")
