"""``StreamApplication``: one persistent query running over the event log.

One task per input partition reads the source topic's records, evaluates the compiled plan
and writes the results to the sink topic, keyed and timestamped as ksqlDB does: the key is
the output's key columns in the key format (no key for a stream without key columns), the
record timestamp is the input row's ``ROWTIME`` (the record timestamp, or the source's
``TIMESTAMP`` column) unless the sink names its own ``TIMESTAMP`` column, and headers are
carried over. A stream ignores records without a value; over a table, a tombstone and a row
the ``WHERE`` drops both become a tombstone of the output key (the row is gone downstream).

Delivery: when the log offers transactions (:attr:`Capability.TRANSACTIONS`) each poll's
output records, dead letters and input offsets are committed in one transaction and the
input is read ``read_committed`` — exactly once. Otherwise outputs are flushed before the
offsets are committed — at least once: a crash between the two repeats some outputs.

A record that cannot be processed (its bytes cannot be read in the source's formats, a
function raises, a result cannot be written in the sink's formats, its timestamp column is
null) goes to the application's dead-letter topic with the reason, and processing goes on.
"""

from __future__ import annotations

import base64
import datetime
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from streammesh.log import (
    Capability,
    CleanupPolicy,
    Consumer,
    ConsumerOptions,
    EventLog,
    IsolationLevel,
    Producer,
    ProducerOptions,
    Record,
    TopicNotFound,
    TopicPartition,
    TopicSpec,
)
from streammesh.serde import SchemaResolver
from streammesh.streams.engine.pipeline import Pipeline, compile_pipeline, split
from streammesh.streams.errors import StreamsError
from streammesh.streams.formats.base import Column, FormatName, RowSerde
from streammesh.streams.formats.errors import FormatError
from streammesh.streams.formats.factory import serde_for
from streammesh.streams.functions.errors import FunctionError
from streammesh.streams.functions.registry import FunctionRegistry, default_registry
from streammesh.streams.plan.nodes import Formats, Sink
from streammesh.streams.planner import PersistentQuery
from streammesh.streams.sql.statements import SourceKind

DEAD_LETTER_SUFFIX = ".dead-letter"


@dataclass(slots=True)
class TaskStats:
    """What one task (one input partition) did so far."""

    partition: int
    records_in: int = 0
    records_out: int = 0
    filtered: int = 0
    dead_letters: int = 0


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
        name: The application's name: its consumer group, transactional id and the prefix of
            its dead-letter topic ``<name>.dead-letter``.
        registry: The functions its expressions call (default: built-ins and plugins).
        resolver: The schema registry, for AVRO, JSON_SR and PROTOBUF topics.

    Raises:
        UnsupportedPlan: the plan aggregates or joins (not yet run).
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
    ) -> None:
        if isinstance(query, Sink):
            query = PersistentQuery(name, query)
        self.log = log
        self.query = query
        self.name = name
        self.dead_letter_topic = f"{name}{DEAD_LETTER_SUFFIX}"
        self.pipeline: Pipeline = compile_pipeline(
            query.id, query.plan, registry or default_registry()
        )
        source, sink = self.pipeline.source, self.pipeline.sink
        self.table = source.kind is SourceKind.TABLE
        self.source_key, self.source_value = _serdes(
            source.formats, source.topic, source.key_columns, source.value_columns, resolver
        )
        sink_keys = tuple(_format_columns(sink, key=True))
        sink_values = tuple(_format_columns(sink, key=False))
        self.sink_key, self.sink_value = _serdes(
            sink.formats, sink.topic, sink_keys, sink_values, resolver
        )
        self.null_key = (None,) * len(source.key_columns)
        self.timestamp_index = (
            source.schema.index(source.timestamp_column) if source.timestamp_column else None
        )
        self.sink_timestamp_index = (
            sink.schema.index(sink.timestamp_column) if sink.timestamp_column else None
        )
        self.exactly_once = Capability.TRANSACTIONS in log.capabilities
        self.tasks: dict[int, TaskStats] = {}
        self._consumer: Consumer | None = None
        self._producer: Producer | None = None

    @property
    def guarantee(self) -> str:
        """``exactly_once`` with the log's transactions, else ``at_least_once``."""
        return "exactly_once" if self.exactly_once else "at_least_once"

    def start(self) -> None:
        """Create the sink and dead-letter topics if missing, then join the input."""
        if self._consumer is not None:
            return
        source_topic = self.log.describe_topic(self.pipeline.source.topic)
        sink = self.pipeline.sink
        compacted = sink.kind is SourceKind.TABLE
        self._ensure(sink.topic, sink.partitions or source_topic.partitions, compacted=compacted)
        self._ensure(self.dead_letter_topic, 1)
        if self.exactly_once:
            producer = self.log.producer(ProducerOptions(transactional_id=self.name))
            producer.init_transactions()
            isolation = IsolationLevel.READ_COMMITTED
        else:
            producer = self.log.producer()
            isolation = IsolationLevel.READ_UNCOMMITTED
        consumer = self.log.consumer(
            ConsumerOptions(group=self.name, auto_commit=False, isolation_level=isolation)
        )
        partitions = [TopicPartition(source_topic.name, p) for p in range(source_topic.partitions)]
        consumer.assign(partitions)
        for partition in partitions:
            self.tasks.setdefault(partition.partition, TaskStats(partition.partition))
        self._producer, self._consumer = producer, consumer

    def _ensure(self, topic: str, partitions: int, *, compacted: bool = False) -> None:
        try:
            self.log.describe_topic(topic)
        except TopicNotFound:
            policy = CleanupPolicy.COMPACT if compacted else CleanupPolicy.DELETE
            self.log.create_topic(TopicSpec(topic, partitions=partitions, cleanup_policy=policy))

    def poll_once(self, timeout: float = 0.1, max_records: int = 500) -> int:
        """Read, process and commit one batch of input records; how many were read."""
        self.start()
        assert self._consumer is not None and self._producer is not None
        consumer, producer = self._consumer, self._producer
        records = consumer.poll(timeout=timeout, max_records=max_records)
        if not records:
            return 0
        if self.exactly_once:
            producer.begin_transaction()
        try:
            for record in records:
                self._process(record, producer)
            offsets = {
                tp: consumer.position(tp)
                for tp in {TopicPartition(r.topic, r.partition) for r in records}
            }
            if self.exactly_once:
                producer.send_offsets_to_transaction(offsets, consumer.group_metadata())
                producer.commit_transaction()
            else:
                producer.flush()
                consumer.commit(offsets)
        except BaseException:
            if self.exactly_once:
                producer.abort_transaction()
            raise
        return len(records)

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
            if read == 0 and not any(self._consumer.lag().values()):
                return total
            if time.monotonic() > deadline:
                raise StreamsError(
                    f"application {self.name} did not reach the end of its input within"
                    f" {timeout:g} s"
                )

    def _process(self, record: Record, producer: Producer) -> None:
        task = self.tasks.setdefault(record.partition, TaskStats(record.partition))
        task.records_in += 1
        if record.value is None and not self.table:
            task.filtered += 1  # a stream ignores records without a value, as ksqlDB does
            return
        try:
            # A record without a key still has the key columns, as NULLs.
            key_row = self.source_key.deserialize(record.key) or self.null_key
            value_row = self.source_value.deserialize(record.value)
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
            value_bytes = self.sink_value.serialize(value)
        except (FormatError, FunctionError, _BadTimestamp) as exc:
            self._dead_letter(record, str(exc), producer)
            task.dead_letters += 1
            return
        producer.send(
            self.pipeline.sink.topic,
            value_bytes,
            key=key_bytes,
            headers=record.headers,
            timestamp_ms=timestamp,
        )
        task.records_out += 1

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
        """Each task's counters, by input partition."""
        return dict(self.tasks)

    def close(self) -> None:
        """Leave the input and release the producer (an open transaction is aborted)."""
        if self._consumer is not None:
            self._consumer.close()
        if self._producer is not None:
            self._producer.close()
        self._consumer = self._producer = None

    def __enter__(self) -> StreamApplication:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _BadTimestamp(Exception):
    def __init__(self, column: str, value: int | None) -> None:
        super().__init__(
            f"the timestamp column {column} is {'null' if value is None else value}: a record"
            " needs a timestamp of 0 or more"
        )


def _format_columns(sink: Sink, *, key: bool) -> list[Column]:
    columns = sink.schema.keys if key else sink.schema.values
    return [Column(column.name, column.type) for column in columns]
