"""Consumer-group lag as lineage shows it: one number per consumer, or none.

The lag is the log's one definition (:func:`streammesh.log.partition_lags`, by offsets, never
by the time of the last event), summed over the topic's partitions.
"""

from __future__ import annotations

from streammesh.log import EventLog, LogError, partition_lags


def group_lag(log: EventLog, group: str, topic: str) -> int | None:
    """Records of ``topic`` that ``group`` has not committed yet, summed over partitions.

    A partition the group never committed counts from the topic's beginning (the SDK's
    consumers start there). ``None`` when the log cannot tell (the topic is gone, the log is
    unreachable): lineage stays readable without it.
    """
    try:
        return sum(p.lag for p in partition_lags(log, group, topic))
    except LogError:
        return None
