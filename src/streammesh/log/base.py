"""The event-log interface: the types every backend speaks and the Protocols it implements.

A backend (``embedded``, ``kafka``) is opened with :func:`streammesh.log.open_log` and returns
these types only, never driver objects. Offsets follow Kafka's conventions: a partition's
*end offset* is the offset the next record will get, a consumer's *position* is the offset
of the next record it will read, and a committed offset is the position to resume from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import TracebackType
from typing import NamedTuple, Protocol, Self, runtime_checkable

from streammesh.log.errors import ConsumerStateError

DEFAULT_MAX_RECORD_BYTES = 1_048_576
"""Kafka's default ``message.max.bytes``: the largest key + value + headers accepted."""

Header = tuple[str, bytes]


class CleanupPolicy(StrEnum):
    """What a topic does with old records: delete them by age/size, or keep the newest per key."""

    DELETE = "delete"
    COMPACT = "compact"


class OffsetReset(StrEnum):
    """Where a consumer starts in a partition that has no (valid) committed offset."""

    EARLIEST = "earliest"
    LATEST = "latest"


class Capability(StrEnum):
    """Optional abilities a backend may lack; conformance tests skip what is not declared."""

    ON_DEMAND_CLEANING = "on-demand-cleaning"
    """Retention and compaction can be run by the caller (``Maintainable.clean``)."""

    ACLS = "acls"
    """The cluster accepts ACL requests."""

    DELETE_RECORDS = "delete-records"
    """The cluster accepts DeleteRecords requests."""

    TRANSACTIONS = "transactions"
    """Transactional producers and ``read_committed`` consumers (Kafka's exactly-once model)."""

    STATIC_MEMBERS_LEAVE = "static-members-leave"
    """A static group member (``ConsumerOptions.group_instance_id``) still leaves its group
    when it closes, so static membership only changes what happens after a crash. Kafka's
    static members stay in the group until their session expires (KIP-345): their partitions
    wait for them, and the group is not empty (its offsets cannot be reset) meanwhile."""


class IsolationLevel(StrEnum):
    """Which records of transactions a consumer reads (Kafka's ``isolation.level``).

    ``read_uncommitted`` (Kafka's default) returns every record the log holds, including those
    of open transactions and, on Kafka, of aborted ones. ``read_committed`` returns only
    records of committed transactions (and records written outside any transaction), and
    stops at the *last stable offset*: the first record of a transaction still open.
    """

    READ_UNCOMMITTED = "read_uncommitted"
    READ_COMMITTED = "read_committed"


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """What a topic should be: its name, partition count and retention settings.

    ``retention_ms``/``retention_bytes`` of ``None`` mean unlimited; ``retention_bytes`` is per
    partition, as in Kafka. ``delete_retention_ms`` is how long a compacted topic keeps a
    tombstone after compaction reached it, so consumers that are behind still see the delete.
    """

    name: str
    partitions: int = 1
    cleanup_policy: CleanupPolicy = CleanupPolicy.DELETE
    retention_ms: int | None = 7 * 24 * 3_600_000
    retention_bytes: int | None = None
    min_compaction_lag_ms: int = 0
    delete_retention_ms: int = 24 * 3_600_000


@dataclass(frozen=True, slots=True)
class TopicDescription:
    """A topic as the log holds it: its spec plus the offsets of each partition."""

    spec: TopicSpec
    beginning_offsets: Mapping[int, int] = field(default_factory=dict)
    end_offsets: Mapping[int, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def partitions(self) -> int:
        return self.spec.partitions


class TopicPartition(NamedTuple):
    """One partition of one topic."""

    topic: str
    partition: int


class Record(NamedTuple):
    """One record read from the log.

    ``value`` of ``None`` is a tombstone (a delete of ``key`` on compacted topics).
    ``timestamp_ms`` is UTC milliseconds set by the producer (or at send time if it set none).
    A NamedTuple rather than a dataclass because consumers build hundreds of thousands per
    second, and tuple construction is several times cheaper.
    """

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[Header, ...]
    timestamp_ms: int


@dataclass(frozen=True, slots=True)
class ProducerOptions:
    """How a producer batches. ``linger_ms`` is how long a record may wait to share a batch: on
    Kafka a fixed wait (librdkafka's ``linger.ms``); the embedded log writes at once unless
    records arrive fast, and lingers only while they keep coming (``docs/event-log.md``).

    With a ``transactional_id`` the producer is transactional: it sends only inside
    transactions (``init_transactions`` once, then ``begin_transaction`` ...
    ``commit_transaction``), and a newer producer with the same id fences it. A transaction
    left open longer than ``transaction_timeout_ms`` (Kafka's default, 60 s) is aborted by
    the log.
    """

    linger_ms: float = 5.0
    batch_max_bytes: int = 1_048_576
    buffer_max_bytes: int = 64 * 1_048_576
    client_id: str = "streammesh-producer"
    transactional_id: str | None = None
    transaction_timeout_ms: int = 60_000


@dataclass(frozen=True, slots=True)
class GroupMetadata:
    """A consumer's group membership, as a transactional producer needs it to commit the
    group's offsets with a transaction (``Consumer.group_metadata()``).

    ``member_id`` (empty for a consumer that assigns its partitions itself) lets the log
    refuse offsets from a member that lost its partitions in a rebalance (a zombie);
    ``handle`` is the backend's own form of the same (librdkafka's opaque metadata, which
    also carries the group generation), passed back to that backend untouched.
    """

    group: str
    member_id: str = ""
    handle: object = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ConsumerOptions:
    """How a consumer joins its group and where it starts.

    Without a ``group`` the consumer can only ``assign`` partitions and cannot commit.
    With ``auto_commit`` the consumer commits its positions every ``auto_commit_interval_ms``
    (on ``poll``) and on ``close``, so records returned by a poll count as processed once the
    next poll is made — Kafka's at-least-once default. ``isolation_level`` decides whether
    records of open and aborted transactions are read (see :class:`IsolationLevel`); a consumer
    whose offsets commit with a producer's transactions turns ``auto_commit`` off.

    ``group_instance_id`` makes the member *static* (Kafka's ``group.instance.id``, KIP-345):
    a consumer that joins with the instance id of a member that is gone without leaving (a
    process killed and started again) takes that member's place and its partitions at once,
    instead of waiting for the session timeout to expire it; the old member, should it still
    be alive, is fenced. A static member does not leave the group when it closes on Kafka
    (its partitions wait the session timeout for it to come back); on the embedded log it
    leaves as any member does. Unique per member of a group.
    """

    group: str | None = None
    auto_offset_reset: OffsetReset = OffsetReset.EARLIEST
    auto_commit: bool = True
    auto_commit_interval_ms: int = 5_000
    session_timeout_ms: int = 10_000
    heartbeat_interval_ms: int = 1_000
    max_poll_records: int = 500
    client_id: str = "streammesh-consumer"
    isolation_level: IsolationLevel = IsolationLevel.READ_UNCOMMITTED
    group_instance_id: str | None = None

    def __post_init__(self) -> None:
        # Accept Kafka's spelling ("read_committed") as well as the enum member.
        try:
            level = IsolationLevel(self.isolation_level)
        except ValueError:
            raise ConsumerStateError(
                "isolation_level must be 'read_committed' or 'read_uncommitted', not "
                f"{self.isolation_level!r}"
            ) from None
        object.__setattr__(self, "isolation_level", level)
        if self.group_instance_id is not None and (
            self.group is None or not self.group_instance_id.strip()
        ):
            raise ConsumerStateError(
                "group_instance_id needs a group and may not be empty, got "
                f"{self.group_instance_id!r} for group {self.group!r}"
            )


class Producer(Protocol):
    """Sends records; batched and asynchronous, durable once :meth:`flush` returns."""

    def send(
        self,
        topic: str,
        value: bytes | None,
        *,
        key: bytes | None = None,
        headers: Sequence[Header] = (),
        timestamp_ms: int | None = None,
        partition: int | None = None,
    ) -> None:
        """Queue one record. Raises on bad input before anything is queued.

        Without ``partition``, a keyed record goes where Kafka's default partitioner puts it
        (murmur2 of the key) and keyless records are spread over the partitions.
        """
        ...

    def flush(self, timeout: float | None = None) -> None:
        """Return once every record sent so far is durable; raise ``DeliveryFailed`` if any
        could not be, ``LogTimeout`` if that takes longer than ``timeout`` seconds."""
        ...

    def close(self) -> None:
        """Flush and release resources (a transaction still open is aborted)."""
        ...

    def init_transactions(self, timeout: float | None = None) -> None:
        """Register this producer's ``transactional_id``: abort whatever transaction an earlier
        producer with that id left open, and fence that producer. Called once, first."""
        ...

    def begin_transaction(self) -> None:
        """Start a transaction: every record sent until it ends belongs to it."""
        ...

    def send_offsets_to_transaction(
        self,
        offsets: Mapping[TopicPartition, int],
        group: GroupMetadata | str,
        timeout: float | None = None,
    ) -> None:
        """Commit the consumer group's ``offsets`` (next offset to read) with the transaction.

        ``group`` is the input consumer's ``group_metadata()`` (or, with no zombie check on
        rebalances, the group id).
        """
        ...

    def commit_transaction(self, timeout: float | None = None) -> None:
        """Make the transaction's records and offsets visible at once; they are durable when
        this returns. ``TransactionAborted`` if the log aborted it instead."""
        ...

    def abort_transaction(self, timeout: float | None = None) -> None:
        """Discard the transaction: none of its records or offsets ever become committed."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class Consumer(Protocol):
    """Reads records, as a member of a consumer group or from manually assigned partitions."""

    def subscribe(self, topics: Sequence[str]) -> None:
        """Join the group for these topics; partitions are assigned (and rebalanced) by the
        group, and :meth:`assignment` shows them after a :meth:`poll`."""
        ...

    def assign(self, partitions: Sequence[TopicPartition]) -> None:
        """Read exactly these partitions, outside any group rebalancing."""
        ...

    def assignment(self) -> frozenset[TopicPartition]:
        """The partitions this consumer currently reads."""
        ...

    def poll(self, timeout: float = 1.0, max_records: int | None = None) -> list[Record]:
        """Return the next records (possibly none after ``timeout`` seconds)."""
        ...

    def commit(self, offsets: Mapping[TopicPartition, int] | None = None) -> None:
        """Commit positions (the next offset to read) for the group; default: current ones."""
        ...

    def committed(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int | None]:
        """The group's committed offsets, ``None`` where nothing was committed."""
        ...

    def seek(self, partition: TopicPartition, offset: int) -> None:
        """Make ``offset`` the next one read from an assigned ``partition``."""
        ...

    def seek_to_beginning(self, partitions: Sequence[TopicPartition] | None = None) -> None:
        """Go to the first retained record (default: all assigned partitions)."""
        ...

    def seek_to_end(self, partitions: Sequence[TopicPartition] | None = None) -> None:
        """Go past the last record, to read only new ones."""
        ...

    def seek_to_timestamp(
        self, timestamp_ms: int, partitions: Sequence[TopicPartition] | None = None
    ) -> None:
        """Go to the first record whose timestamp is at or after ``timestamp_ms`` (or the
        end, where there is none)."""
        ...

    def position(self, partition: TopicPartition) -> int:
        """The offset of the next record this consumer will read from ``partition``."""
        ...

    def end_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        """The offset the next record appended to each partition will get (for a
        ``read_committed`` consumer: the last stable offset)."""
        ...

    def lag(self) -> dict[TopicPartition, int]:
        """Per assigned partition, how many records lie between position and end."""
        ...

    def group_metadata(self) -> GroupMetadata:
        """This consumer's group membership, for ``Producer.send_offsets_to_transaction``."""
        ...

    def close(self) -> None:
        """Commit (with auto-commit), leave the group, release resources."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class EventLog(Protocol):
    """A partitioned, replayable event log: topics, producers and consumers."""

    @property
    def url(self) -> str:
        """The URL this log was opened with (credentials removed)."""
        ...

    @property
    def capabilities(self) -> frozenset[Capability]:
        """Optional abilities of this backend."""
        ...

    def create_topic(self, spec: TopicSpec) -> TopicDescription:
        """Create a topic; ``TopicAlreadyExists`` if it exists."""
        ...

    def describe_topic(self, name: str) -> TopicDescription:
        """A topic's spec and partition offsets; ``TopicNotFound`` if missing."""
        ...

    def list_topics(self) -> list[TopicDescription]:
        """Every topic, sorted by name, without the backend's own internal topics."""
        ...

    def delete_topic(self, name: str) -> None:
        """Delete a topic and its records; ``TopicNotFound`` if missing."""
        ...

    def producer(self, options: ProducerOptions | None = None) -> Producer:
        """A new producer."""
        ...

    def consumer(self, options: ConsumerOptions | None = None) -> Consumer:
        """A new consumer."""
        ...

    def committed_offsets(self, group: str, topic: str) -> dict[int, int | None]:
        """A group's committed offset per partition of ``topic`` (``None`` = none)."""
        ...

    def close(self) -> None:
        """Release every resource the log holds."""
        ...


@runtime_checkable
class Maintainable(Protocol):
    """A log whose retention and compaction the caller runs (``Capability.ON_DEMAND_CLEANING``)."""

    def clean(self, now_ms: int | None = None) -> CleanReport:
        """Apply retention and compaction to every topic as of ``now_ms`` (default: now)."""
        ...


@dataclass(frozen=True, slots=True)
class CleanReport:
    """What one cleaning pass removed."""

    records_removed_by_retention: int = 0
    records_removed_by_compaction: int = 0
    tombstones_removed: int = 0


__all__ = [
    "DEFAULT_MAX_RECORD_BYTES",
    "Capability",
    "CleanReport",
    "CleanupPolicy",
    "Consumer",
    "ConsumerOptions",
    "EventLog",
    "GroupMetadata",
    "Header",
    "IsolationLevel",
    "Maintainable",
    "OffsetReset",
    "Producer",
    "ProducerOptions",
    "Record",
    "TopicDescription",
    "TopicPartition",
    "TopicSpec",
]
