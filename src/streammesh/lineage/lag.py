"""Consumer-group lag by offsets: what a group has still to read of a topic.

Lag is measured against offsets, never against the time of the last event: a compacted or
quiet stream can be silent and its consumers current.
"""

from __future__ import annotations

from streammesh.log.base import EventLog
from streammesh.log.errors import LogError


def group_lag(log: EventLog, group: str, topic: str) -> int | None:
    """Records of ``topic`` that ``group`` has not committed yet, summed over partitions.

    A partition the group never committed counts from the topic's beginning (the SDK's
    consumers start there). ``None`` when the log cannot tell (the topic is gone, the log is
    unreachable): lineage stays readable without it.
    """
    try:
        description = log.describe_topic(topic)
        committed = log.committed_offsets(group, topic)
    except LogError:
        return None
    total = 0
    for partition, end in description.end_offsets.items():
        start = committed.get(partition)
        if start is None:
            start = description.beginning_offsets.get(partition, 0)
        total += max(0, end - start)
    return total
