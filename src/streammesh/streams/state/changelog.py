"""A store's changelog: the compacted topic that holds every change, and how keys are laid out.

Key-value stores log their keys as they are. Window and session stores use Kafka Streams'
binary layouts, so a changelog written by one can be read by the other's tools:

- window: key bytes, 8-byte big-endian window start, 4-byte big-endian sequence number (0:
  a window store keeps one value per key and window);
- session: key bytes, 8-byte big-endian session end, 8-byte big-endian session start.

A delete is a tombstone (value ``None``), which compaction eventually removes.
"""

from __future__ import annotations

import struct

from streammesh.log import (
    CleanupPolicy,
    EventLog,
    TopicAlreadyExists,
    TopicDescription,
    TopicNotFound,
    TopicSpec,
)
from streammesh.streams.state.errors import ChangelogMismatch

_WINDOW_SUFFIX = struct.Struct(">qi")
_SESSION_SUFFIX = struct.Struct(">qq")


def ensure_changelog(log: EventLog, topic: str, partitions: int) -> TopicDescription:
    """Return the changelog ``topic``, created compacted with ``partitions`` when missing.

    Raises:
        ChangelogMismatch: the topic exists with another partition count, or is not compacted.
    """
    try:
        description = log.describe_topic(topic)
    except TopicNotFound:
        spec = TopicSpec(
            topic, partitions=partitions, cleanup_policy=CleanupPolicy.COMPACT, retention_ms=None
        )
        try:
            return log.create_topic(spec)
        except TopicAlreadyExists:  # another task of the application created it first
            description = log.describe_topic(topic)
    if description.partitions != partitions:
        raise ChangelogMismatch(
            topic, "partition count", str(partitions), str(description.partitions)
        )
    if description.spec.cleanup_policy is not CleanupPolicy.COMPACT:
        raise ChangelogMismatch(
            topic,
            "cleanup policy",
            f"'{CleanupPolicy.COMPACT.value}'",
            f"'{description.spec.cleanup_policy.value}'",
        )
    return description


def window_key(key: bytes, start_ms: int) -> bytes:
    """The changelog key of ``key``'s window starting at ``start_ms``."""
    return key + _WINDOW_SUFFIX.pack(start_ms, 0)


def split_window_key(data: bytes) -> tuple[bytes, int]:
    """``(key, window start)`` of a window store's changelog key."""
    cut = len(data) - _WINDOW_SUFFIX.size
    if cut < 0:
        raise ValueError(f"a window changelog key has at least {_WINDOW_SUFFIX.size} bytes")
    start, _sequence = _WINDOW_SUFFIX.unpack_from(data, cut)
    return data[:cut], start


def session_key(key: bytes, start_ms: int, end_ms: int) -> bytes:
    """The changelog key of ``key``'s session from ``start_ms`` to ``end_ms``."""
    return key + _SESSION_SUFFIX.pack(end_ms, start_ms)


def split_session_key(data: bytes) -> tuple[bytes, int, int]:
    """``(key, session start, session end)`` of a session store's changelog key."""
    cut = len(data) - _SESSION_SUFFIX.size
    if cut < 0:
        raise ValueError(f"a session changelog key has at least {_SESSION_SUFFIX.size} bytes")
    end, start = _SESSION_SUFFIX.unpack_from(data, cut)
    return data[:cut], start, end
