"""Monitoring: product metrics, consumer-group lag, caught-up questions, SLO states."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from streammesh.observe import MAX_WAIT_S


class PartitionOffsetsDocument(BaseModel):
    partition: int
    beginning_offset: int = Field(description="The first retained offset.")
    end_offset: int = Field(description="The offset the next event will get.")


class SloStateDocument(BaseModel):
    """An SLO's status as the server's checker last recorded it."""

    product: str
    slo: str = Field(description="`freshness` or `availability`.")
    status: str = Field(description="`met` or `breached`.")
    since: datetime = Field(description="When the status last changed.")
    checked_at: datetime
    target: str = Field(description="The descriptor's promise, e.g. `15m` or `99.9%`.")
    observed: str = Field(description="What the checker measured.")


class ProductMetricsReply(BaseModel):
    """A product version's throughput and freshness, measured at request time."""

    product: str
    topic: str
    window_seconds: float = Field(description="How far back the rates look.")
    events_in_window: int = Field(description="Events whose timestamp falls in the window.")
    bytes_in_window: int = Field(
        description="Their size (key + value + headers); estimated from the first "
        "`bytes_sampled` when the window holds more."
    )
    bytes_sampled: int
    events_per_second: float
    bytes_per_second: float
    last_event_at: datetime | None = Field(description="The newest event's timestamp.")
    measured_at: datetime
    partitions: list[PartitionOffsetsDocument]
    slos: list[SloStateDocument] = Field(description="The SLO states the checker recorded.")


class PartitionLagDocument(BaseModel):
    partition: int
    committed_offset: int | None = Field(description="`null`: the group never committed here.")
    end_offset: int
    lag: int = Field(description="Events between the committed offset and the end.")


class GroupLagDocument(BaseModel):
    """A consumer group's lag on one product version, by offsets."""

    group: str
    product: str
    topic: str
    total_lag: int
    caught_up: bool = Field(description="Every partition read up to its end offset.")
    partitions: list[PartitionLagDocument]


class GroupLagReply(BaseModel):
    """A consumer group's lag on the product versions it reads."""

    group: str
    total_lag: int
    caught_up: bool
    products: list[GroupLagDocument]


Offset = Annotated[int, Field(ge=0)]


class CaughtUpBody(BaseModel):
    """Offsets to compare with a group's committed offsets."""

    model_config = ConfigDict(extra="forbid")

    product: str = Field(
        min_length=1, description="The product, `name` (current version) or `name.vN`."
    )
    offsets: dict[int, Offset] = Field(
        min_length=1,
        description="Partition number -> the offset the group must have committed at least: "
        "the next offset to read, like an end offset (for a record written at offset `o`, "
        "give `o + 1`).",
        examples=[{"0": 12, "1": 7}],
    )
    wait: float = Field(
        default=0.0,
        ge=0,
        le=MAX_WAIT_S,
        description="Seconds to wait for the group to catch up before answering (long poll).",
    )


class CaughtUpReply(BaseModel):
    """Whether the group has read the product up to the offsets asked."""

    group: str
    product: str
    caught_up: bool
    behind: dict[str, int] = Field(
        description="Partitions still short of their offset, by how many offsets."
    )
    committed: dict[str, int | None] = Field(
        description="The group's committed offset of each partition asked."
    )
