"""Remote produce and consume: events in and out as JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

MAX_EVENTS_PER_REQUEST = 10_000


class ProduceBody(BaseModel):
    """Events to write to a product, all or none."""

    model_config = ConfigDict(extra="forbid")

    events: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=MAX_EVENTS_PER_REQUEST,
        description="The events as JSON objects of the product's fields.",
    )


class ProduceReply(BaseModel):
    """The events are durable (on disk, or acknowledged by the cluster)."""

    product: str
    accepted: int
    schema_id: int = Field(description="The registry id of the schema they were written with.")
    partitions: list[int] = Field(description="The partition of each event, in request order.")


class EventHeader(BaseModel):
    """One record header; the value base64-encoded (headers are bytes)."""

    name: str
    value: str


class EventDocument(BaseModel):
    """One event of a product, as JSON.

    ``key`` is text for string and uuid keys, a number for int and long keys, base64 text for
    bytes keys. In ``value``, bytes are base64 text, decimals text and timestamps ISO 8601.
    """

    product: str
    key: str | int | None
    value: dict[str, Any] | None
    partition: int
    offset: int
    timestamp: datetime
    schema_id: int | None
    headers: list[EventHeader]


class ConsumeReply(BaseModel):
    """Events read for a consumer group; the group's offsets are committed past them."""

    product: str
    group: str
    events: list[EventDocument]


class SampleReply(BaseModel):
    """The most recent events of a product, newest last (read without a consumer group)."""

    product: str
    events: list[EventDocument]


class PartitionStats(BaseModel):
    """One partition's offsets."""

    partition: int
    beginning_offset: int
    end_offset: int


class StatsReply(BaseModel):
    """Throughput and freshness of a product's stream."""

    product: str
    topic: str
    partitions: list[PartitionStats]
    total_events: int = Field(description="Events the topic holds (retention applied).")
    last_event_at: datetime | None
    events_last_minute: int
