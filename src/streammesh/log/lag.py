"""Consumer-group lag by offsets: how many records a group has still to read, per partition.

Lag is the distance from a group's committed offset to a partition's end offset, never the
time since the last event: a compacted or quiet stream can be current while nothing happens
on it. Both offsets are *the next offset to read*. A partition the group never committed on
counts from the partition's beginning, where a new consumer starts (everything the log still
keeps is to read). Monitoring and lineage both show this number; this is its one definition.
"""

from __future__ import annotations

from dataclasses import dataclass

from streammesh.log.base import EventLog


@dataclass(frozen=True, slots=True)
class PartitionLag:
    """One partition: the group's committed offset (``None``: never committed) and its lag."""

    partition: int
    committed: int | None
    end: int
    lag: int


def partition_lags(log: EventLog, group: str, topic: str) -> tuple[PartitionLag, ...]:
    """``group``'s lag on every partition of ``topic``, by partition number.

    Raises:
        TopicNotFound: The topic is gone.
        LogError: The log cannot be read.
    """
    description = log.describe_topic(topic)
    committed = log.committed_offsets(group, topic)
    lags = []
    for partition in sorted(description.end_offsets):
        end = description.end_offsets[partition]
        position = committed.get(partition)
        start = (
            position if position is not None else description.beginning_offsets.get(partition, 0)
        )
        lags.append(PartitionLag(partition, position, end, max(end - start, 0)))
    return tuple(lags)
