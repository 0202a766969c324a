"""``StreamApplication``: one persistent query running over the event log.

One task per input partition reads the source topic's records (for a join, both inputs'
partition, see :mod:`~streammesh.streams.engine.join_task`), evaluates the compiled plan
and writes the results to the sink topic, keyed and timestamped as ksqlDB does: the key is
the output's key columns in the key format (no key for a stream without key columns), the
record timestamp is the input row's ``ROWTIME`` (the record timestamp, or the source's
``TIMESTAMP`` column) unless the sink names its own ``TIMESTAMP`` column, and headers are
carried over. A stream ignores records without a value; over a table, a tombstone and a row
the ``WHERE`` drops both become a tombstone of the output key (the row is gone downstream).

Delivery: when the log offers transactions (:attr:`Capability.TRANSACTIONS`) the output
records, dead letters, state changelog records and input offsets of the batches read since
the last commit are committed in one transaction and the input is read ``read_committed`` —
exactly once. A transaction stays open across polls, as Kafka Streams' ``commit.interval.ms``
keeps it: it commits once ``commit_interval_ms`` (100 ms) have passed or it holds
:data:`COMMIT_MAX_RECORDS` records, when a poll finds the input idle, and on ``commit()``
(``StreamsRunner`` calls it when it stops). A rebalance or an error aborts it and the input
is read again from the last commit. Without transactions outputs are flushed before the
offsets are committed — at least once: a crash between the two repeats some outputs.

A record that cannot be processed (its bytes cannot be read in the source's formats, a
function raises, a result cannot be written in the sink's formats, its timestamp column is
null) goes to the application's dead-letter topic with the reason, and processing goes on.

Several processes (or objects) running the same application share its input: each joins the
consumer group named after the application with ``subscribe`` (the source, a join's right
side and the repartition topics), and runs the tasks of the partitions the group assigns it
— task ``p`` is partition ``p`` of every input topic, which both logs' range assignors give
to one member. After each poll the tasks follow the assignment: a revoked partition's task
is closed (its state stays in the changelogs; records of it read but not processed are
dropped, its new owner reads them from the committed offsets), a newly assigned partition's
task is created and restored from the changelogs before any of its records is processed.
Each process has an instance id kept in its state dir (see
:mod:`~streammesh.streams.engine.instance`) and the transactional id
``<application>-<instance>``; offsets are committed with the consumer's group metadata, so
a member that lost a partition in a rebalance cannot commit over its new owner.
"""

from __future__ import annotations

import base64
import collections
import datetime
import functools
import json
import operator
import struct
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streammesh.log import (
    Capability,
    CleanupPolicy,
    Consumer,
    ConsumerOptions,
    EventLog,
    GroupMetadata,
    Header,
    IsolationLevel,
    Producer,
    ProducerFenced,
    ProducerOptions,
    Record,
    TopicNotFound,
    TopicPartition,
    TopicSpec,
    TransactionAborted,
)
from streammesh.privacy import HEADER_PREFIX, FieldProtection
from streammesh.serde import SchemaResolver
from streammesh.streams.engine.aggregation import (
    AggregateTask,
    CompiledAggregate,
    Contribution,
    Update,
)
from streammesh.streams.engine.errors import UnsupportedPlan
from streammesh.streams.engine.instance import InstanceSlot, claim_instance
from streammesh.streams.engine.join_codec import decode as decode_value
from streammesh.streams.engine.join_codec import encode as encode_row
from streammesh.streams.engine.join_errors import PartitionMismatch
from streammesh.streams.engine.join_rows import (
    DropReason,
    JoinColumn,
    JoinInput,
    JoinResult,
    Side,
    reader,
)
from streammesh.streams.engine.join_task import CompiledJoin, JoinShape, JoinTask
from streammesh.streams.engine.pipeline import Pipeline, compile_pipeline, split
from streammesh.streams.errors import StreamsError
from streammesh.streams.expressions import Column as ColumnRef
from streammesh.streams.formats.base import Column, FormatName, RowSerde
from streammesh.streams.formats.errors import FormatError
from streammesh.streams.formats.factory import serde_for
from streammesh.streams.formats.registry import AvroSerde
from streammesh.streams.functions.errors import FunctionError
from streammesh.streams.functions.registry import FunctionRegistry, default_registry
from streammesh.streams.plan.nodes import Formats, Project, Sink, Source
from streammesh.streams.planner import PersistentQuery
from streammesh.streams.products.decryption import InputDecryption
from streammesh.streams.sql.statements import SourceKind
from streammesh.streams.state import StoreContext, TaskId

DEAD_LETTER_SUFFIX = ".dead-letter"
SESSION_TIMEOUT_MS = 6_000
"""How long a process may go silent before the group moves its partitions to the others
(a ``kill -9`` is noticed after it); the mesh's other long-lived consumers use the same."""
HEARTBEAT_INTERVAL_MS = 500
COMMIT_INTERVAL_MS = 100
"""How long a transaction stays open across polls before it commits, by default: Kafka
Streams' ``commit.interval.ms`` under exactly-once."""
COMMIT_MAX_RECORDS = 10_000
"""A transaction commits once it holds this many input records, however young."""


@dataclass(slots=True)
class TaskStats:
    """What one task (one input partition) did so far."""

    partition: int
    records_in: int = 0
    records_out: int = 0
    filtered: int = 0
    dead_letters: int = 0
    late: int = 0
    """Rows dropped because they came after a window's grace period (one per window)."""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """Why an input record was not processed (the JSON value of a dead-letter record)."""

    query: str
    reason: str
    topic: str
    partition: int
    offset: int
    timestamp: int

    def to_json(self, value: bytes | None) -> bytes:
        """The dead-letter record's value: this, and the input value as base64."""
        document: dict[str, Any] = {
            "query": self.query,
            "reason": self.reason,
            "topic": self.topic,
            "partition": self.partition,
            "offset": self.offset,
            "timestamp": self.timestamp,
            "value": base64.b64encode(value).decode("ascii") if value is not None else None,
        }
        return json.dumps(document, sort_keys=True).encode("utf-8")


@dataclass(slots=True)
class _Transaction:
    """The open transaction: what it read and processed since the last commit."""

    membership: GroupMetadata | None
    """The group membership its first batch was read under (exactly-once only)."""
    assignment: frozenset[TopicPartition]
    """The partitions owned when it began: any change is a rebalance."""
    started: float
    records: int = 0
    offsets: dict[TopicPartition, int] = field(default_factory=dict)
    """Per input partition, the offset after the last record processed (to commit)."""
    firsts: dict[TopicPartition, int] = field(default_factory=dict)
    """Per input partition, the first record it read."""
    read: dict[TopicPartition, int] = field(default_factory=dict)
    """Per input partition, the offset after the last record read (processed or waiting)."""


@dataclass(slots=True)
class _Output:
    records: list[tuple[str, bytes | None, bytes | None, int, tuple[Any, ...]]] = field(
        default_factory=list
    )


def _serdes(
    formats: Formats,
    topic: str,
    keys: tuple[Any, ...],
    values: tuple[Any, ...],
    resolver: SchemaResolver | None,
) -> tuple[RowSerde, RowSerde]:
    key_format = formats.key_format if keys else FormatName.NONE
    key = serde_for(
        key_format,
        keys,
        part="key",
        options=formats.key_options(),
        resolver=resolver,
        subject=f"{topic}-key",
    )
    value = serde_for(
        formats.value_format,
        values,
        part="value",
        options=formats.value_options(),
        resolver=resolver,
        subject=f"{topic}-value",
    )
    return key, value


_WINDOW_START = struct.Struct(">q").pack
_SESSION_BOUNDS = struct.Struct(">qq").pack


def _millis(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
        return int(aware.timestamp() * 1000)
    return value if isinstance(value, int) else None


class StreamApplication:
    """Runs one persistent query over ``log`` (see the module docstring).

    Args:
        log: The event log holding the source and sink topics.
        query: The persistent query (or a bare sink plan).
        name: The application's name: its consumer group, the prefix of its transactional id
            ``<name>-<instance>`` and of its dead-letter topic ``<name>.dead-letter``.
        registry: The functions its expressions call (default: built-ins and plugins).
        resolver: The schema registry, for AVRO, JSON_SR and PROTOBUF topics.
        state_dir: Where the state stores of a ``GROUP BY`` keep their files
            (``<state_dir>/<name>/<task>/<store>.db``) and the process its instance id
            (``<state_dir>/<name>/instances/``); default: a temporary directory removed on
            ``close()`` (the state is restored from its changelogs anyway).
        protection: For a sink that is a data product in its registered Avro schema, what
            encrypts the fields governance protects into record headers, per entity key, as
            the data plane's producer does (a value it cannot protect is a dead letter).
        session_timeout_ms: How long this process may go silent (killed, stuck) before the
            group moves its partitions to the application's other processes.
        heartbeat_interval_ms: How often it tells the group it is alive.
        decryption: Per input topic that is a data product, how its encrypted fields are
            read: decrypted or masked for the application, as the data plane's consumer
            shows them (a field that cannot be decrypted is a dead letter).
        commit_interval_ms: How long a transaction stays open across polls before it
            commits (Kafka Streams' ``commit.interval.ms``, 100 ms under exactly-once); it
            also commits at :data:`COMMIT_MAX_RECORDS` records and when the input is idle.
            0 commits every poll. Longer means fewer, larger transactions (faster) and
            outputs that appear to ``read_committed`` readers later.

    Raises:
        UnsupportedPlan: a plan the engine does not run (a join of more than two inputs, a
            GROUP BY over a join, a join needing a repartition over several partitions), or
            a ``protection`` for a sink that is not a product's registered Avro schema.
        InvalidWindow: a window ksqlDB refuses (RETENTION below size plus grace, a window
            over a table).
        UnsupportedFormat: a topic's formats cannot carry its columns.

    Example:
        >>> app = StreamApplication(log, script.queries[0], "trades-filter")  # doctest: +SKIP
        >>> app.run_until_idle()  # doctest: +SKIP
    """

    def __init__(
        self,
        log: EventLog,
        query: PersistentQuery | Sink,
        name: str,
        *,
        registry: FunctionRegistry | None = None,
        resolver: SchemaResolver | None = None,
        state_dir: Path | str | None = None,
        protection: FieldProtection | None = None,
        session_timeout_ms: int = SESSION_TIMEOUT_MS,
        heartbeat_interval_ms: int = HEARTBEAT_INTERVAL_MS,
        decryption: Mapping[str, InputDecryption] | None = None,
        commit_interval_ms: int = COMMIT_INTERVAL_MS,
    ) -> None:
        if isinstance(query, Sink):
            query = PersistentQuery(name, query)
        self.log = log
        self.query = query
        self.name = name
        self.dead_letter_topic = f"{name}{DEAD_LETTER_SUFFIX}"
        functions = registry or default_registry()
        self.pipeline: Pipeline = compile_pipeline(query.id, query.plan, functions)
        source, sink = self.pipeline.source, self.pipeline.sink
        self.table = source.kind is SourceKind.TABLE
        self.aggregate: CompiledAggregate | None = None
        self.output_key: list[int] = []
        if self.pipeline.aggregate is not None:
            self.aggregate = CompiledAggregate(
                query.id, self.pipeline.aggregate, functions, table=self.table
            )
            self.output_key = _output_key(self.pipeline.aggregate.schema.keys, sink)
        self._temporary: tempfile.TemporaryDirectory[str] | None = None
        self.state_dir = Path(state_dir) if state_dir is not None else None
        self.aggregates: dict[int, AggregateTask] = {}
        self.join: CompiledJoin | None = None
        self.joins: dict[int, JoinTask] = {}
        self._sides: dict[str, _JoinSide] = {}
        self._repartitioned: dict[str, _JoinSide] = {}
        self._waiting: dict[TopicPartition, collections.deque[Record]] = {}
        """A join's records read but not processed yet, per input partition."""
        """Repartition topics of join sides, by topic."""
        if self.pipeline.join is not None:
            self.join = CompiledJoin(query.id, self.pipeline.join, functions)
            for side, joined in ((Side.LEFT, self.join.left), (Side.RIGHT, self.join.right)):
                self._sides[joined.topic] = _JoinSide(side, joined, resolver)
            if len(self._sides) == 1:
                raise UnsupportedPlan(query.id, "a JOIN of a topic with itself")
        self.repartition_topic: str | None = None
        """``<name>-<query>-repartition`` when the GROUP BY moves rows between partitions."""
        self._reader: Consumer | None = None
        self.source_key, self.source_value = _serdes(
            source.formats, source.topic, source.key_columns, source.value_columns, resolver
        )
        sink_keys = tuple(_format_columns(sink, key=True))
        sink_values = tuple(_format_columns(sink, key=False))
        self.sink_key, self.sink_value = _serdes(
            sink.formats, sink.topic, sink_keys, sink_values, resolver
        )
        self.protection = protection
        """Encrypts the classified fields of a product sink's values into record headers."""
        self.decryption: Mapping[str, InputDecryption] = decryption or {}
        """Per input topic, how a data product's encrypted fields are read."""
        if protection is not None and not (
            isinstance(self.sink_value, AvroSerde) and sink.formats.value_schema is not None
        ):
            raise UnsupportedPlan(
                query.id,
                f"encrypting fields {', '.join(protection.encrypted)} of a sink that is not a "
                "data product in its registered Avro schema",
            )
        self.null_key = (None,) * len(source.key_columns)
        self.timestamp_index = (
            source.schema.index(source.timestamp_column) if source.timestamp_column else None
        )
        self.sink_timestamp_index = (
            sink.schema.index(sink.timestamp_column) if sink.timestamp_column else None
        )
        # What writing an aggregate's update needs, looked up once rather than per update.
        self._group_key: Callable[[tuple[Any, ...]], tuple[Any, ...]] = _picker(self.output_key)
        self._post = self.pipeline.post or (lambda row: row)
        self._split: Callable[[tuple[Any, ...]], tuple[tuple[Any, ...], tuple[Any, ...]]] = (
            functools.partial(split, sink)
        )
        self._key_bytes = self.sink_key.serialize
        self._value_bytes = self.sink_value.serialize
        self._keyed_values = sink.formats.value_schema is not None
        """A data product's value holds its key columns first (see :func:`_value_row`)."""
        self._windowed_keys = sink.formats.value_schema is None
        """ksqlDB's windowed keys; a data product's key is its key field alone, as the data
        plane writes and reads it (the window bounds are value columns there)."""
        self.exactly_once = Capability.TRANSACTIONS in log.capabilities
        self.tasks: dict[int, TaskStats] = {}
        """The tasks of the input partitions this process owns now, by partition."""
        self._retired = TaskStats(-1)
        """What the tasks of partitions that moved away did here."""
        self._group_timing = (session_timeout_ms, heartbeat_interval_ms)
        self._partitions = 0
        self._slot: InstanceSlot | None = None
        self._consumer: Consumer | None = None
        self._producer: Producer | None = None
        self.commit_interval_s = max(commit_interval_ms, 0) / 1000
        self._open: _Transaction | None = None
        """The transaction open across polls, ``None`` between commits."""

    @property
    def instance(self) -> str | None:
        """This process's instance id (``None`` until started): stable across restarts with
        the same state dir; the transactional id is ``<name>-<instance>``."""
        return self._slot.id if self._slot is not None else None

    @property
    def input_topics(self) -> list[str]:
        """The topics the application's consumer group reads: the source, a join's right
        side, and the repartition topics (known once started)."""
        topics = [self.pipeline.source.topic]
        if self.join is not None:
            topics.append(self.join.right.topic)
        topics += list(self._repartitioned)
        if self.repartition_topic is not None:
            topics.append(self.repartition_topic)
        return list(dict.fromkeys(topics))

    @property
    def guarantee(self) -> str:
        """``exactly_once`` with the log's transactions, else ``at_least_once``."""
        return "exactly_once" if self.exactly_once else "at_least_once"

    def start(self) -> None:
        """Create the sink and dead-letter topics if missing, then join the application's
        consumer group (tasks are created as the group assigns partitions, on ``poll_once``)."""
        if self._consumer is not None:
            return
        source_topic = self.log.describe_topic(self.pipeline.source.topic)
        sink = self.pipeline.sink
        if self.join is not None:
            self._check_join(source_topic.partitions)
        if self.aggregate is not None and source_topic.partitions > 1 and _rekeys(self.pipeline):
            # Rows of one group may sit in any input partition: they go through the
            # repartition topic, keyed by their group, to the task owning the group.
            self.repartition_topic = f"{self.name}-{self.query.id}-repartition"
            self._ensure(self.repartition_topic, source_topic.partitions)
        compacted = sink.kind is SourceKind.TABLE
        self._ensure(sink.topic, sink.partitions or source_topic.partitions, compacted=compacted)
        self._ensure(self.dead_letter_topic, 1)
        self._partitions = source_topic.partitions
        if self.state_dir is None:
            self._temporary = tempfile.TemporaryDirectory(prefix="streammesh-state-")
            self.state_dir = Path(self._temporary.name)
        try:
            self._join_group()
        except BaseException:
            self.close()
            raise

    def _join_group(self) -> None:
        assert self.state_dir is not None
        self._slot = claim_instance(self.state_dir / self.name)
        if self.exactly_once:
            # Per process: a restart with the same state dir fences its own zombie (and
            # aborts the transaction it left open), other processes are left alone.
            options = ProducerOptions(transactional_id=f"{self.name}-{self._slot.id}")
            producer = self.log.producer(options)
            self._producer = producer
            producer.init_transactions()
            isolation = IsolationLevel.READ_COMMITTED
        else:
            self._producer = self.log.producer()
            isolation = IsolationLevel.READ_UNCOMMITTED
        session, heartbeat = self._group_timing
        consumer = self.log.consumer(
            ConsumerOptions(
                group=self.name,
                auto_commit=False,
                isolation_level=isolation,
                session_timeout_ms=session,
                heartbeat_interval_ms=heartbeat,
                # Static membership: restarted with the same state dir (same instance id),
                # the process takes its partitions back at once instead of after the session.
                # Not where static members stay in the group after a clean stop (Kafka): their
                # partitions would wait, and a reset would find the group still busy.
                group_instance_id=(
                    self._slot.id
                    if Capability.STATIC_MEMBERS_LEAVE in self.log.capabilities
                    else None
                ),
            )
        )
        self._consumer = consumer
        if self.aggregate is not None or self.join is not None:
            self._reader = self.log.consumer(
                ConsumerOptions(auto_commit=False, isolation_level=isolation)
            )
        consumer.subscribe(self.input_topics)

    def _follow_assignment(self, consumer: Consumer) -> frozenset[TopicPartition]:
        """Make the tasks those of the partitions the group assigns this process now: close
        the tasks of revoked partitions, create (and restore) those of new ones."""
        assigned = consumer.assignment()
        partitions = {tp.partition for tp in assigned}
        for partition in sorted(set(self.tasks) - partitions):
            self._drop_task(partition)
        for lane in [lane for lane in self._waiting if lane not in assigned]:
            del self._waiting[lane]  # read again by the partition's owner, from its commit
        for partition in sorted(partitions - set(self.tasks)):
            self._open_task(partition)
        return assigned

    def _open_task(self, partition: int) -> None:
        """Create the task of ``partition``; its state stores restore from their changelogs
        first."""
        assert self._producer is not None and self.state_dir is not None
        if self.aggregate is not None or self.join is not None:
            assert self._reader is not None
            context = StoreContext(
                self.log,
                self.state_dir,
                self.name,
                TaskId(0, partition),
                self._partitions,
                self._producer,
                self._reader,
            )
            if self.aggregate is not None:
                self.aggregates[partition] = AggregateTask(self.aggregate, context)
            if self.join is not None:
                self.joins[partition] = JoinTask(self.join, context)
        self.tasks[partition] = TaskStats(partition)

    def _drop_task(self, partition: int) -> None:
        """Close the task of a partition that moved away (its state is in the changelogs)."""
        stats = self.tasks.pop(partition)
        retired = self._retired
        retired.records_in += stats.records_in
        retired.records_out += stats.records_out
        retired.filtered += stats.filtered
        retired.dead_letters += stats.dead_letters
        retired.late += stats.late
        for state in (self.aggregates.pop(partition, None), self.joins.pop(partition, None)):
            if state is not None:
                state.close()

    def _check_join(self, partitions: int) -> None:
        """Refuse inputs that are not co-partitioned, or that would need a repartition."""
        assert self.join is not None
        left, right = self.join.left, self.join.right
        right_partitions = self.log.describe_topic(right.topic).partitions
        if right_partitions != partitions:
            raise PartitionMismatch(
                left.alias or left.name, right.alias or right.name, partitions, right_partitions
            )
        if partitions == 1:
            return
        if self.join.shape is JoinShape.FOREIGN_KEY:
            raise UnsupportedPlan(
                self.query.id,
                f"a foreign-key JOIN over {partitions} partitions (every task would need the"
                " whole right table)",
            )
        sides = {Side.LEFT: self._sides[left.topic], Side.RIGHT: self._sides[right.topic]}
        moved = [side for side in sides if not self.join.keyed[side]]
        for side in moved:
            # Its records of one join value sit in any partition: they go through
            # <app>-<query>-repartition-left|right, keyed as the other side's records are
            # (by the join value in its key format, or both in the join's own encoding).
            other = sides[side.other]
            if side.other in moved:
                keying: Callable[[object], bytes] = _encoded_key
            else:
                keying = _serialized_key(other.key_serde)
            topic = f"{self.name}-{self.query.id}-repartition-{side.value}"
            sides[side].repartition(topic, keying, self.join.columns[side])
            self._ensure(topic, partitions)
            self._repartitioned[topic] = sides[side]

    def _ensure(self, topic: str, partitions: int, *, compacted: bool = False) -> None:
        try:
            self.log.describe_topic(topic)
        except TopicNotFound:
            policy = CleanupPolicy.COMPACT if compacted else CleanupPolicy.DELETE
            self.log.create_topic(TopicSpec(topic, partitions=partitions, cleanup_policy=policy))

    def poll_once(self, timeout: float = 0.1, max_records: int = 2_000) -> int:
        """Read and process one batch of input records (what the log has ready, up to
        ``max_records``); how many were processed.

        The batch joins the open transaction (one is begun if none is open), which commits —
        outputs, dead letters, state changelogs and input offsets together — once it holds
        :data:`COMMIT_MAX_RECORDS` records or has been open ``commit_interval_ms``, or when a
        poll finds nothing to process (the input is idle). A rebalance seen after the poll
        (the assignment changed, or the consumer went back to the committed offsets) aborts
        the open transaction and reads everything it held again; so does an error, which is
        raised (a transaction the log refused is not: its records are read again).
        """
        self.start()
        assert self._consumer is not None and self._producer is not None
        consumer, producer = self._consumer, self._producer
        records = consumer.poll(timeout=timeout, max_records=max_records)
        open_ = self._open
        if open_ is not None and self._moved(open_, consumer):
            # The group rebalanced while the transaction was open: what it holds may belong
            # to another process now, or be read again from the committed offsets. Nothing of
            # it happened; every partition still owned is read again from its commit.
            self._roll_back(records, aborted=False)
            self._follow_assignment(consumer)
            return 0
        # The membership the transaction's first batch was read under: a client that rejoins
        # in the background (librdkafka) while this process is stopped must not commit under
        # a newer one.
        membership = consumer.group_metadata() if self.exactly_once and open_ is None else None
        # The tasks follow the group's assignment before anything is processed; records of
        # a partition no longer assigned are left to its new owner.
        assigned = self._follow_assignment(consumer)
        records = _without_rewinds([r for r in records if (r.topic, r.partition) in assigned])
        latest: dict[TopicPartition, int] = {}
        earliest: dict[TopicPartition, int] = {}
        for record in records:
            lane = TopicPartition(record.topic, record.partition)
            if lane not in latest:
                earliest[lane] = record.offset
            latest[lane] = record.offset + 1
        if open_ is not None and any(
            first < open_.read.get(lane, 0) for lane, first in earliest.items()
        ):
            # The consumer went back to the committed offsets within the poll (a partition
            # revoked and assigned again): a rebalance, as above.
            self._roll_back(records, aborted=False)
            return 0
        if self.join is not None:
            # A join's records wait in per-partition buffers until they are next in time.
            polled, records = records, self._next_in_time(records, consumer)
        else:
            polled = records
        if not records:
            self.commit()  # the input is idle: what is open commits now
            return 0
        if open_ is None:
            if self.exactly_once:
                producer.begin_transaction()
            open_ = self._open = _Transaction(membership, consumer.assignment(), time.monotonic())
        try:
            for lane, first in earliest.items():
                open_.firsts.setdefault(lane, first)
            open_.read.update(latest)
            for record in records:
                self._process(record, producer)
            if self.join is None:
                open_.offsets.update(latest)
            else:
                for record in records:  # the records processed, not those still waiting
                    open_.offsets[TopicPartition(record.topic, record.partition)] = (
                        record.offset + 1
                    )
            open_.records += len(records)
            if (
                open_.records >= COMMIT_MAX_RECORDS
                or time.monotonic() - open_.started >= self.commit_interval_s
            ):
                self._commit_open(open_)
        except BaseException as exc:
            aborted = isinstance(exc, TransactionAborted | ProducerFenced)
            self._roll_back(polled, aborted=aborted)
            if isinstance(exc, TransactionAborted):
                # The log refused the commit — e.g. a rebalance moved a partition of the
                # transaction to another process while this one was busy (a zombie): nothing
                # of it happened. The next poll follows the new assignment and reads the rest
                # again.
                return 0
            raise
        return len(records)

    def commit(self) -> None:
        """Commit the open transaction now: its outputs, dead letters, state changelogs and
        input offsets (nothing to do when none is open). ``StreamsRunner.run`` calls it when
        asked to stop, and so does leaving a ``with`` block without an exception;
        ``close()`` aborts instead.

        A transaction the log refuses (a rebalance gave its partitions to another process)
        is dropped and its records read again; any other error aborts it, rewinds the input
        to the last commit and is raised.
        """
        open_ = self._open
        if open_ is None:
            return
        try:
            self._commit_open(open_)
        except BaseException as exc:
            self._roll_back((), aborted=isinstance(exc, TransactionAborted | ProducerFenced))
            if isinstance(exc, TransactionAborted):
                return
            raise

    def _commit_open(self, open_: _Transaction) -> None:
        """Flush the state changes and commit ``open_`` with its input offsets."""
        assert self._consumer is not None and self._producer is not None
        producer = self._producer
        # State changes go to the changelogs inside the same transaction as the outputs and
        # the offsets; the local files commit only once that transaction has.
        states = self._states()
        for state in states:
            state.flush()
        if self.exactly_once:
            assert open_.membership is not None
            producer.send_offsets_to_transaction(open_.offsets, open_.membership)
            producer.commit_transaction()
        else:
            producer.flush()
            self._consumer.commit(open_.offsets)
        self._open = None
        for state in states:
            state.commit()

    def _moved(self, open_: _Transaction, consumer: Consumer) -> bool:
        """Whether the group rebalanced since ``open_`` began: the assignment changed, or a
        partition's position went back before what the transaction read (an eager
        rebalance gives a partition back at its committed offset)."""
        if consumer.assignment() != open_.assignment:
            return True
        return any(consumer.position(lane) < read for lane, read in open_.read.items())

    def _roll_back(self, polled: Sequence[Record], *, aborted: bool) -> None:
        """Abort the open transaction (unless the log ``aborted`` it already) and take the
        state stores back to their last commit; every partition still owned is read again
        from the group's committed offset — the records of the transaction, ``polled`` and
        a join's waiting records alike."""
        assert self._consumer is not None and self._producer is not None
        consumer = self._consumer
        open_, self._open = self._open, None
        if open_ is not None and self.exactly_once and not aborted:
            self._producer.abort_transaction()
        firsts = dict(open_.firsts) if open_ is not None else {}
        waiting = [record for lane in self._waiting.values() for record in lane]
        for record in (*polled, *waiting):
            partition = TopicPartition(record.topic, record.partition)
            firsts[partition] = min(firsts.get(partition, record.offset), record.offset)
        self._waiting.clear()
        owned = consumer.assignment()
        lanes = [lane for lane in firsts if lane in owned]
        if lanes:
            # The group's commit, not this process's memory: another process may have
            # committed past it while this one was stopped (a zombie taking its partitions
            # back).
            committed = consumer.committed(lanes)
            for lane in lanes:
                offset = committed.get(lane)
                consumer.seek(lane, offset if offset is not None else firsts[lane])
        for state in self._states():
            state.abort()

    def _states(self) -> list[AggregateTask | JoinTask]:
        return [*self.aggregates.values(), *self.joins.values()]

    def _next_in_time(self, polled: list[Record], consumer: Consumer) -> list[Record]:
        """The records a join processes now, in the order Kafka Streams picks them in a
        task: each time the record with the smallest timestamp among the heads of the
        task's partitions (both inputs, repartition topics included; at equal times a
        stream-table join's table first), each partition in its order. While a partition
        of the task has nothing buffered but records are known to exist on it (its lag),
        the task waits for them, as Kafka Streams does (KIP-695) — so the order does not
        depend on how polls cut the input."""
        assert self.join is not None
        for record in polled:
            lane = TopicPartition(record.topic, record.partition)
            buffer = self._waiting.setdefault(lane, collections.deque())
            while buffer and buffer[-1].offset >= record.offset:
                # The consumer went back to the committed offset (the partition was revoked
                # and assigned again within a poll): those records come again.
                buffer.pop()
            buffer.append(record)
        table_first = self.join.shape is JoinShape.STREAM_TABLE
        rank: dict[str, int] = {}
        for topic, joined in (*self._sides.items(), *self._repartitioned.items()):
            rank[topic] = int((joined.side is Side.RIGHT) != table_first)
        topics = sorted(rank, key=lambda topic: rank[topic])
        lag: dict[TopicPartition, int] | None = None
        picked: list[Record] = []
        for partition in sorted({lane.partition for lane in self._waiting}):
            lanes = [TopicPartition(topic, partition) for topic in topics]
            while True:
                heads = [lane for lane in lanes if self._waiting.get(lane)]
                if not heads:
                    break
                if len(heads) < len(lanes):
                    if lag is None:
                        lag = consumer.lag()
                    if any(lag.get(lane, 0) > 0 for lane in lanes if lane not in heads):
                        break  # records of an empty partition may come first
                first = min(heads, key=lambda lane: self._waiting[lane][0].timestamp_ms)
                picked.append(self._waiting[first].popleft())
        return picked

    def run_until_idle(self, timeout: float = 30.0) -> int:
        """Process until every input partition is read to its end; how many records were read.

        Raises:
            StreamsError: the input did not reach its end within ``timeout`` seconds.
        """
        self.start()
        assert self._consumer is not None
        total = 0
        deadline = time.monotonic() + timeout
        while True:
            read = self.poll_once()
            total += read
            # Joining the group takes a moment on Kafka: idle only once partitions came.
            assigned = bool(self._consumer.assignment())
            if read == 0 and assigned and not any(self._consumer.lag().values()):
                return total
            if time.monotonic() > deadline:
                raise StreamsError(
                    f"application {self.name} did not reach the end of its input within"
                    f" {timeout:g} s"
                )

    def _process(self, record: Record, producer: Producer) -> None:
        task = self.tasks[record.partition]
        if record.topic == self.repartition_topic:
            self._regrouped(record, task, producer)
            return
        if self.join is not None:
            self._joined(record, task, producer)
            return
        task.records_in += 1
        if record.value is None and not self.table:
            task.filtered += 1  # a stream ignores records without a value, as ksqlDB does
            return
        try:
            # A record without a key still has the key columns, as NULLs.
            key_row = self.source_key.deserialize(record.key) or self.null_key
            value_row = self._value(self.source_value, record)
            if self.aggregate is not None:
                self._aggregate(record, task, key_row, value_row, producer)
                return
            if value_row is None:
                if self.table:  # a tombstone deletes the row downstream too
                    self._tombstone(record, key_row, producer)
                    task.records_out += 1
                else:
                    task.filtered += 1
                return
            row = (*key_row, *value_row, record.timestamp_ms, record.partition, record.offset)
            rowtime = record.timestamp_ms
            if self.timestamp_index is not None:
                found = _millis(row[self.timestamp_index])
                if found is None or found < 0:
                    raise _BadTimestamp(self.pipeline.source.timestamp_column or "", found)
                rowtime = found
                row = (*row[:-3], rowtime, record.partition, record.offset)
            result = self.pipeline.run(row)
            if result is None:
                if self.table:  # a table row the WHERE drops is deleted downstream
                    self._tombstone(record, key_row, producer)
                task.filtered += 1
                return
            key, value = split(self.pipeline.sink, result)
            timestamp = rowtime
            if self.sink_timestamp_index is not None:
                found = _millis(result[self.sink_timestamp_index])
                if found is None or found < 0:
                    raise _BadTimestamp(self.pipeline.sink.timestamp_column or "", found)
                timestamp = found
            key_bytes = self.sink_key.serialize(key) if key else None
            value_bytes, headers = self._sink_value(
                key_bytes, _value_row(self.pipeline.sink, key, value), record.headers
            )
        except (FormatError, FunctionError, _BadTimestamp) as exc:
            self._dead_letter(record, str(exc), producer)
            task.dead_letters += 1
            return
        producer.send(
            self.pipeline.sink.topic,
            value_bytes,
            key=key_bytes,
            headers=headers,
            timestamp_ms=timestamp,
        )
        task.records_out += 1

    def _value(self, serde: RowSerde, record: Record) -> tuple[Any, ...] | None:
        """The record's value row; a data product's encrypted fields decrypted or masked."""
        decryption = self.decryption.get(record.topic)
        if decryption is None:
            return serde.deserialize(record.value)
        return decryption.row(serde, record)

    def _joined(self, record: Record, task: TaskStats, producer: Producer) -> None:
        """A record of either side through the join, then each output through the WHERE and
        the select list to the sink."""
        state = self.joins[record.partition]
        moved = self._repartitioned.get(record.topic)
        if moved is not None:
            try:
                row = decode_row(record.value or b"")
            except ValueError as exc:
                self._dead_letter(record, f"not a repartition record: {exc}", producer)
                task.dead_letters += 1
                return
            key_row = row[: len(moved.null_key)]
            result = state.process(moved.side, JoinInput(key_row, row, record.timestamp_ms))
            self._join_outputs(result, record, task, producer)
            return
        joined = self._sides[record.topic]
        task.records_in += 1
        if record.value is None and joined.source.kind is SourceKind.STREAM:
            task.filtered += 1  # a stream ignores records without a value, as ksqlDB does
            return
        try:
            if joined.moved_to is not None:
                self._repartition(joined, record, task, producer)
                return
            key_row = joined.key_serde.deserialize(record.key) or joined.null_key
            value_row = self._value(joined.value_serde, record)
            if value_row is None:
                result = state.process(joined.side, JoinInput(key_row, None, record.timestamp_ms))
            else:
                row = (*key_row, *value_row, record.timestamp_ms, record.partition, record.offset)
                row, rowtime = joined.rowtime(record, row)
                result = state.process(joined.side, JoinInput(key_row, row, rowtime))
        except (FormatError, FunctionError, _BadTimestamp) as exc:
            self._dead_letter(record, str(exc), producer)
            task.dead_letters += 1
            return
        self._join_outputs(result, record, task, producer)

    def _repartition(
        self, joined: _JoinSide, record: Record, task: TaskStats, producer: Producer
    ) -> None:
        """Send a record of a side not partitioned by its join value to the task owning
        that value, through the side's repartition topic.

        Raises:
            FormatError, FunctionError, _BadTimestamp: the record cannot be read.
        """
        assert joined.moved_to is not None and joined.keying is not None
        key_row = joined.key_serde.deserialize(record.key) or joined.null_key
        value_row = self._value(joined.value_serde, record)
        assert value_row is not None  # a stream's records without a value never get here
        row = (*key_row, *value_row, record.timestamp_ms, record.partition, record.offset)
        row, rowtime = joined.rowtime(record, row)
        value = joined.join_value(row)
        if value is None:
            task.filtered += 1  # a NULL join value joins nothing, as in ksqlDB
            return
        producer.send(
            joined.moved_to,
            encode_row(row),
            key=joined.keying(value),
            headers=record.headers,
            timestamp_ms=rowtime,
        )

    def _join_outputs(
        self, result: JoinResult, record: Record, task: TaskStats, producer: Producer
    ) -> None:
        if result.dropped is not None:
            if result.dropped is DropReason.LATE:
                task.late += 1
            elif not result.outputs:
                task.filtered += 1
        sink = self.pipeline.sink
        table = sink.kind is SourceKind.TABLE
        for output in result.outputs:
            try:
                value_bytes = None
                key: tuple[Any, ...] = output.key
                timestamp = output.timestamp
                kept = self.pipeline.run(output.row) if output.row is not None else None
                if kept is None and output.row is not None:
                    task.filtered += 1
                    if not table:
                        continue  # a table's row the WHERE drops is deleted downstream
                headers: Sequence[Header] = self._carried(record.headers)
                key_bytes = self.sink_key.serialize(key) if key else None
                if kept is not None:
                    key, value = split(sink, kept)
                    key_bytes = self.sink_key.serialize(key) if key else None
                    value_bytes, headers = self._sink_value(
                        key_bytes, _value_row(sink, key, value), record.headers
                    )
                    if self.sink_timestamp_index is not None:
                        found = _millis(kept[self.sink_timestamp_index])
                        if found is None or found < 0:
                            raise _BadTimestamp(sink.timestamp_column or "", found)
                        timestamp = found
            except (FormatError, FunctionError, _BadTimestamp) as exc:
                self._dead_letter(record, str(exc), producer)
                task.dead_letters += 1
                continue
            producer.send(
                sink.topic,
                value_bytes,
                key=key_bytes,
                headers=headers,
                timestamp_ms=timestamp,
            )
            task.records_out += 1

    def _rowtime(self, record: Record, row: tuple[Any, ...]) -> tuple[tuple[Any, ...], int]:
        """The source row with its ROWTIME: the record's, or the ``TIMESTAMP`` column's."""
        if self.timestamp_index is None:
            return row, record.timestamp_ms
        found = _millis(row[self.timestamp_index])
        if found is None or found < 0:
            raise _BadTimestamp(self.pipeline.source.timestamp_column or "", found)
        return (*row[:-3], found, record.partition, record.offset), found

    def _aggregate(
        self,
        record: Record,
        task: TaskStats,
        key_row: tuple[Any, ...],
        value_row: tuple[Any, ...] | None,
        producer: Producer,
    ) -> None:
        """A record through the aggregate: its updates, each through the select list."""
        state = self.aggregates[record.partition]
        if value_row is None:  # a table's tombstone (a stream's null value never gets here)
            kept, rowtime = None, record.timestamp_ms
        else:
            row = (*key_row, *value_row, record.timestamp_ms, record.partition, record.offset)
            row, rowtime = self._rowtime(record, row)
            kept = self.pipeline.run(row)
            if kept is None and not self.table:
                task.filtered += 1
                return
        contributions = state.contributions(kept, record.key, rowtime)
        if contributions is None:
            task.filtered += 1
            return
        if self.repartition_topic is not None:
            for contribution in contributions:
                key, value = contribution.encode()
                producer.send(
                    self.repartition_topic,
                    value,
                    key=key,
                    headers=record.headers,
                    timestamp_ms=contribution.timestamp,
                )
            return
        updates = [update for item in contributions for update in state.apply(item)]
        task.late = state.late
        self._write(updates, record, task, producer)

    def _regrouped(self, record: Record, task: TaskStats, producer: Producer) -> None:
        """A contribution read back from the repartition topic, applied by the task owning
        its group."""
        state = self.aggregates[record.partition]
        try:
            contribution = Contribution.decode(
                record.key or b"", record.value or b"", record.timestamp_ms
            )
        except (ValueError, TypeError, KeyError) as exc:
            self._dead_letter(record, f"not a repartition record: {exc}", producer)
            task.dead_letters += 1
            return
        try:
            updates = state.apply(contribution)
            task.late = state.late
            self._write(updates, record, task, producer)
        except (FormatError, FunctionError, _BadTimestamp) as exc:
            self._dead_letter(record, str(exc), producer)
            task.dead_letters += 1

    def _write(
        self, updates: list[Update], record: Record, task: TaskStats, producer: Producer
    ) -> None:
        # Every update is built before any is sent: one that cannot be written sends none.
        written = [self._written(update, record.headers) for update in updates]
        send, topic = producer.send, self.pipeline.sink.topic
        for key_bytes, value_bytes, headers, timestamp in written:
            send(topic, value_bytes, key=key_bytes, headers=headers, timestamp_ms=timestamp)
        task.records_out += len(written)

    def _written(
        self, update: Update, headers: Sequence[Header]
    ) -> tuple[bytes | None, bytes | None, Sequence[Header], int]:
        """An update's key, value, headers and timestamp as written to the sink topic."""
        timestamp = update.timestamp
        row = update.row
        result = self._post(row) if row is not None else None
        if result is None:  # a tombstone of the group: its key from the GROUP BY values
            key = self._group_key(update.group)
            key_bytes = self._key_bytes(key) if key else b""
            value_bytes = None
            written: Sequence[Header] = self._carried(headers)
        else:
            key, value = self._split(result)
            if self.sink_timestamp_index is not None:
                found = _millis(result[self.sink_timestamp_index])
                if found is None or found < 0:
                    raise _BadTimestamp(self.pipeline.sink.timestamp_column or "", found)
                timestamp = found
            key_bytes = self._key_bytes(key) if key else b""
            if self.protection is None:
                written = headers
                value_bytes = self._value_bytes((*key, *value) if self._keyed_values else value)
            else:
                value_bytes, written = self._sink_value(
                    key_bytes, _value_row(self.pipeline.sink, key, value), headers
                )
        window = update.window
        if window is not None and self._windowed_keys:
            # ksqlDB's windowed keys: TimeWindowedSerde appends the 8-byte big-endian start,
            # SessionWindowedSerde the end and then the start.
            if window.session:
                key_bytes = (key_bytes or b"") + _SESSION_BOUNDS(window.end, window.start)
            else:
                key_bytes = (key_bytes or b"") + _WINDOW_START(window.start)
        return key_bytes, value_bytes, written, timestamp

    def _sink_value(
        self, key: bytes | None, row: tuple[Any, ...], headers: Sequence[Header]
    ) -> tuple[bytes | None, Sequence[Header]]:
        """The value bytes written to the sink and the record's headers: the input's, and
        with a protected product sink each encrypted field's ciphertext, as the data plane's
        producer writes them (the input's own ciphertext headers are never carried over:
        they are sealed for the input product)."""
        if self.protection is None:
            return self.sink_value.serialize(row), headers
        assert isinstance(self.sink_value, AvroSerde)  # checked when built
        value, protected = self.sink_value.serialize_protected(row, key or b"", self.protection)
        return value, (*self._carried(headers), *protected.items())

    def _carried(self, headers: Sequence[Header]) -> Sequence[Header]:
        """The input's headers a sink record carries: all of them, except field ciphertext
        on a protected product sink."""
        return headers if self.protection is None else _without_ciphertext(headers)

    def _tombstone(self, record: Record, key_row: tuple[Any, ...], producer: Producer) -> None:
        assert self.pipeline.table_key is not None
        empty = (None,) * len(self.pipeline.source.value_columns)
        row = (*key_row, *empty, record.timestamp_ms, record.partition, record.offset)
        key = self.pipeline.table_key(row)
        producer.send(
            self.pipeline.sink.topic,
            None,
            key=self.sink_key.serialize(key) if key else None,
            headers=record.headers,
            timestamp_ms=record.timestamp_ms,
        )

    def _dead_letter(self, record: Record, reason: str, producer: Producer) -> None:
        letter = DeadLetter(
            self.query.id,
            reason,
            record.topic,
            record.partition,
            record.offset,
            record.timestamp_ms,
        )
        producer.send(
            self.dead_letter_topic,
            letter.to_json(record.value),
            key=record.key,
            timestamp_ms=record.timestamp_ms,
        )

    def stats(self) -> Mapping[int, TaskStats]:
        """Each task's counters, by input partition: the partitions this process owns now."""
        return dict(self.tasks)

    def totals(self) -> TaskStats:
        """The counters of every task this object ran, partitions that moved away included
        (``partition`` is -1)."""
        total = TaskStats(-1)
        for stats in (self._retired, *self.tasks.values()):
            total.records_in += stats.records_in
            total.records_out += stats.records_out
            total.filtered += stats.filtered
            total.dead_letters += stats.dead_letters
            total.late += stats.late
        return total

    def close(self) -> None:
        """Leave the group (its other processes take the partitions over) and release the
        producer (an open transaction is aborted: call ``commit()`` first to keep it), the
        state stores (what was not committed is forgotten) and the instance id."""
        self._open = None
        for partition in list(self.tasks):
            self._drop_task(partition)
        self.aggregates.clear()
        self.joins.clear()
        self._waiting.clear()  # not committed: read again by whoever takes the input next
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._consumer is not None:
            self._consumer.close()
        if self._producer is not None:
            self._producer.close()
        self._consumer = self._producer = None
        if self._slot is not None:
            self._slot.release()
            self._slot = None
        if self._temporary is not None:
            self._temporary.cleanup()
            self._temporary = None
            self.state_dir = None

    def __enter__(self) -> StreamApplication:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_exc: object) -> None:
        """Leaving a ``with`` block normally commits the open transaction, as a database
        connection's does; leaving it with an exception aborts it."""
        try:
            if exc_type is None:
                self.commit()
        finally:
            self.close()


class _JoinSide:
    """One input of a join: its side, source, serdes and where its timestamp column is."""

    def __init__(self, side: Side, source: Source, resolver: SchemaResolver | None) -> None:
        self.side = side
        self.source = source
        self.key_serde, self.value_serde = _serdes(
            source.formats, source.topic, source.key_columns, source.value_columns, resolver
        )
        self.null_key = (None,) * len(source.key_columns)
        self.timestamp_index = (
            source.schema.index(source.timestamp_column) if source.timestamp_column else None
        )
        self.moved_to: str | None = None
        self.keying: Callable[[object], bytes] | None = None
        self.join_value: Callable[[tuple[Any, ...]], object] = lambda row: None

    def repartition(
        self, topic: str, keying: Callable[[object], bytes], column: JoinColumn
    ) -> None:
        """Send this side's records through ``topic``, keyed by ``keying(join value)``."""
        self.moved_to = topic
        self.keying = keying
        self.join_value = reader(column)

    def rowtime(self, record: Record, row: tuple[Any, ...]) -> tuple[tuple[Any, ...], int]:
        """The row with its ROWTIME: the record's, or the ``TIMESTAMP`` column's."""
        if self.timestamp_index is None:
            return row, record.timestamp_ms
        found = _millis(row[self.timestamp_index])
        if found is None or found < 0:
            raise _BadTimestamp(self.source.timestamp_column or "", found)
        return (*row[:-3], found, record.partition, record.offset), found


def _without_rewinds(records: list[Record]) -> list[Record]:
    """``records`` without those a rewind of the consumer repeats: when a partition is
    revoked and assigned again while a batch is read, the consumer goes back to its
    committed offset and the records read since come again — each is kept once, at the
    later place."""
    last: dict[tuple[str, int], int] = {}
    rewound = False
    for record in records:
        lane = (record.topic, record.partition)
        if last.get(lane, -1) >= record.offset:
            rewound = True
        last[lane] = record.offset
    if not rewound:
        return records
    kept: list[Record] = []
    for record in records:
        lane = (record.topic, record.partition)
        kept = [r for r in kept if (r.topic, r.partition) != lane or r.offset < record.offset]
        kept.append(record)
    return kept


def decode_row(data: bytes) -> tuple[Any, ...]:
    """A row a join's repartition record carries.

    Raises:
        ValueError: the bytes are not a row's.
    """
    row = decode_value(data)
    if not isinstance(row, tuple):
        raise ValueError("not a row")
    return row


def _encoded_key(value: object) -> bytes:
    return encode_row((value,))


def _serialized_key(serde: RowSerde) -> Callable[[object], bytes]:
    def serialize(value: object) -> bytes:
        return serde.serialize((value,)) or b""

    return serialize


class _BadTimestamp(Exception):
    def __init__(self, column: str, value: int | None) -> None:
        super().__init__(
            f"the timestamp column {column} is {'null' if value is None else value}: a record"
            " needs a timestamp of 0 or more"
        )


def _format_columns(sink: Sink, *, key: bool) -> list[Column]:
    columns = sink.schema.keys if key else sink.schema.values
    if not key and sink.formats.value_schema is not None:
        columns = (*sink.schema.keys, *columns)  # a product's events hold their key too
    return [Column(column.name, column.type) for column in columns]


def _without_ciphertext(headers: Sequence[Header]) -> Sequence[Header]:
    """``headers`` without field ciphertext (``streammesh-enc-*``), sealed for the record's
    own product and entity: never valid on another product's record."""
    if not any(name.startswith(HEADER_PREFIX) for name, _ in headers):
        return headers
    return tuple(item for item in headers if not item[0].startswith(HEADER_PREFIX))


def _value_row(sink: Sink, key: tuple[Any, ...], value: tuple[Any, ...]) -> tuple[Any, ...]:
    """The row the sink's value serde writes: a product's value holds the key columns first."""
    return (*key, *value) if sink.formats.value_schema is not None else value


def _picker(indexes: Sequence[int]) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """A function taking the values at ``indexes`` of a row, as a tuple."""
    if not indexes:
        return lambda row: ()
    if len(indexes) == 1:
        (index,) = indexes
        return lambda row: (row[index],)
    return operator.itemgetter(*indexes)


def _output_key(group: Sequence[Any], sink: Sink) -> list[int]:
    """For each output key column, the index of the GROUP BY value it holds (the select list
    names each grouping column once, possibly aliased)."""
    names = [column.name for column in group]
    project = sink.input
    assert isinstance(project, Project)
    indexes = []
    for item in project.items:
        if item.key:
            assert isinstance(item.expression, ColumnRef)
            indexes.append(names.index(item.expression.name))
    return indexes


def _rekeys(pipeline: Pipeline) -> bool:
    """Whether the GROUP BY groups on something other than the source's key, in order (rows
    of a group may then sit in several input partitions)."""
    assert pipeline.aggregate is not None
    keys = [column.name for column in pipeline.source.key_columns]
    grouped = [
        item.name if isinstance(item, ColumnRef) else None for item in pipeline.aggregate.group_by
    ]
    return grouped != keys
