"""Errors of the join operators (see :mod:`streammesh.streams.engine.joins`).

They live apart from ``engine/errors.py`` only while that module is being reworked for
aggregations; both derive from :class:`~streammesh.streams.engine.errors.EngineError`.
"""

from __future__ import annotations

from streammesh.streams.engine.errors import EngineError


class JoinError(EngineError):
    """Base of the errors of building a join operator."""


class UnsupportedJoin(JoinError):
    """A join kind that ksqlDB does not run between these inputs.

    Attributes:
        join: What is joined (``stream-table``, ``foreign-key table-table``...).
        kind: The join kind asked for (``FULL``...).
        supported: The kinds ksqlDB runs there.
    """

    def __init__(self, join: str, kind: str, supported: tuple[str, ...]) -> None:
        self.join = join
        self.kind = kind
        self.supported = supported
        super().__init__(
            f"a {join} join cannot be {kind}: ksqlDB supports only "
            + " and ".join(supported)
            + f" {join} joins"
        )


class JoinStoreTooShort(JoinError):
    """A stream-stream join was given a window store that forgets records before their
    join window and grace period are over.

    Attributes:
        store: The store's name.
        retention_ms: Its retention.
        needed_ms: The retention the join needs (``before + after + grace``).
    """

    def __init__(self, store: str, retention_ms: int, needed_ms: int) -> None:
        self.store = store
        self.retention_ms = retention_ms
        self.needed_ms = needed_ms
        super().__init__(
            f"window store '{store}' keeps records {retention_ms} ms, but the join needs "
            f"{needed_ms} ms (WITHIN before + after + GRACE PERIOD); open it with "
            "retention_ms=StreamStreamJoin.retention_ms(window)"
        )


class PartitionMismatch(JoinError):
    """The two inputs of a join have different partition counts (they must be
    co-partitioned), in ksqlDB's words.

    Attributes:
        left: The left source's name (its alias if it has one).
        right: The right source's.
        left_partitions: The left topic's partition count.
        right_partitions: The right topic's.
    """

    def __init__(self, left: str, right: str, left_partitions: int, right_partitions: int) -> None:
        self.left = left
        self.right = right
        self.left_partitions = left_partitions
        self.right_partitions = right_partitions
        super().__init__(
            f"Can't join `{left}` with `{right}` since the number of partitions don't match."
            f" `{left}` partitions = {left_partitions}; `{right}` partitions ="
            f" {right_partitions}. Please repartition either one so that the number of"
            " partitions match."
        )
