"""``SinkRunner``: runs a sink task under the mesh's guarantees.

On start it checks that the connector's service account has a read grant on each product it
lists (classified fields are in clear only with a grant that includes them, as for any
consumer), registers the connector as a consumer of them (lineage), opens the task and
seeks every partition of the products' topics to the offset the task stored with its data
(else the beginning), reading read_committed as the group ``connect-<name>``.

Each step decodes what the log returns into :class:`SinkRecord` values (with the schema id
and text each was written with) and puts them; a record that is not an event of its product
goes to ``<name>.dead-letter`` and the sink goes on. Every ``flush_interval_s`` the task
flushes; the offsets it returns (durable with its data) are committed to the group too, for
lag only: a restart resumes from what the task stored, never from the group.
"""

from __future__ import annotations

import base64
import contextlib
import time
import uuid
from collections.abc import Mapping
from typing import Any, cast

from streammesh.access import AccessDenied, Caller
from streammesh.connect.base import SinkRecord, SinkTask
from streammesh.connect.definition import ConnectorDefinition
from streammesh.connect.errors import ConnectError, ConnectorRefused, PrincipalNotAllowed
from streammesh.connect.progress import PartitionLag, WorkerProgress, WorkerState
from streammesh.connect.services import (
    WorkerServices,
    consumer_group,
    dead_letter_topic,
    dead_letter_value,
    external_dataset,
    product_dataset,
)
from streammesh.control import ApplicationRole, ControlError, ProductNotFound
from streammesh.dataplane import ProductDecoder, UnreadableEvent
from streammesh.errors import MeshError
from streammesh.identity import Role
from streammesh.log import (
    Consumer,
    ConsumerOptions,
    IsolationLevel,
    Producer,
    Record,
    TopicPartition,
)

__all__ = ["SinkRunner"]

ALIVE_EVERY_S = 60.0
"""How often the connector's consumer registrations are refreshed (lineage "active")."""


class SinkRunner:
    """Runs one sink connector (see the module)."""

    def __init__(
        self,
        definition: ConnectorDefinition,
        services: WorkerServices,
        *,
        poll_timeout_s: float,
        flush_interval_s: float,
        max_records: int,
    ) -> None:
        self.definition = definition
        self._services = services
        self._poll_timeout_s = poll_timeout_s
        self._flush_interval_s = flush_interval_s
        self._max_records = max_records
        self._task: SinkTask | None = None
        self._consumer: Consumer | None = None
        self._letters: Producer | None = None
        self._decoders: dict[str, ProductDecoder] = {}
        """Per topic, how the connector's account reads its records."""
        self._references: dict[str, str] = {}
        """Per topic, its product version."""
        self._latest_schema: dict[str, int] = {}
        """Per topic, the schema id of the last value read (what a tombstone reports)."""
        self._schema_texts: dict[int, str] = {}
        self._partitions: list[TopicPartition] = []
        self._flushed_at = time.monotonic()
        self._alive_at = time.monotonic()
        self._unflushed = 0
        self._lag: tuple[PartitionLag, ...] = ()
        self.records_in = 0
        self.records_out = 0
        self.dead_letters = 0
        self.last_error: str | None = None

    # -- starting ----------------------------------------------------------------------------

    def open(self) -> None:
        """Check grants, register lineage, open the task and seek to its stored offsets.

        Raises:
            ConnectorRefused: a product does not exist, or the principal has no read grant
                on it (or its consumer group belongs to another principal).
        """
        name, principal = self.definition.name, self.definition.principal
        services = self._services
        reader = Caller(principal, Role.CONSUMER)
        for product in self.definition.products:
            try:
                record = services.plane.product(product)
                decoder = services.data.decoder(record.reference, reader=reader, actor=principal)
            except ProductNotFound as exc:
                raise ConnectorRefused(name, product, str(exc)) from None
            except AccessDenied as exc:
                raise PrincipalNotAllowed(
                    name,
                    record.reference,
                    f"{exc}; a sink reads as any consumer does, with a grant to its service "
                    "account",
                ) from None
            self._decoders[record.topic] = decoder
            self._references[record.topic] = record.reference
            self._latest_schema[record.topic] = record.schema_id
        self._register()
        with contextlib.suppress(MeshError):  # lineage must not stop the data
            services.record_run(
                name,
                str(uuid.uuid4()),
                tuple(product_dataset(topic) for topic in self._decoders),
                (external_dataset(self.definition.kind.name, name),),
            )
        services.ensure_topic(dead_letter_topic(name))
        self._letters = services.log.producer()
        context = services.context(name, self._dead_letter)
        task = cast("SinkTask", self.definition.kind.create(self.definition.config, context))
        self._task = task
        stored = task.open()
        consumer = services.log.consumer(
            ConsumerOptions(
                group=consumer_group(name),
                auto_commit=False,
                isolation_level=IsolationLevel.READ_COMMITTED,
                client_id=f"connect-{name}",
            )
        )
        self._consumer = consumer
        partitions = [
            TopicPartition(topic, partition)
            for topic in self._decoders
            for partition in range(services.log.describe_topic(topic).partitions)
        ]
        self._partitions = partitions
        consumer.assign(partitions)
        for partition in partitions:
            offset = stored.get((partition.topic, partition.partition))
            if offset is None:
                consumer.seek_to_beginning([partition])
            else:
                consumer.seek(partition, offset)
        self._measure_lag()

    def _register(self) -> None:
        for reference in self._references.values():
            try:
                self._services.plane.register_application(
                    reference,
                    self.definition.name,
                    role=ApplicationRole.CONSUMER,
                    principal=self.definition.principal,
                    group=consumer_group(self.definition.name),
                )
            except ControlError as exc:
                raise ConnectorRefused(self.definition.name, reference, str(exc)) from None

    def _dead_letter(self, stream: str, reason: str, raw: Mapping[str, Any]) -> None:
        self._send_dead_letter(stream, reason, raw, None, None)

    def _send_dead_letter(
        self,
        stream: str,
        reason: str,
        raw: Mapping[str, Any] | None,
        product: str | None,
        where: Mapping[str, Any] | None,
    ) -> None:
        assert self._letters is not None
        self._letters.send(
            dead_letter_topic(self.definition.name),
            dead_letter_value(
                self.definition.name,
                stream,
                self.definition.redact(reason),
                raw,
                product=product,
                where=where,
            ),
            key=stream.encode("utf-8"),
        )
        self.dead_letters += 1

    # -- running -----------------------------------------------------------------------------

    def step(self) -> int:
        """Read once, put what decodes, flush when the interval is over; how many records
        were read."""
        task, consumer = self._task, self._consumer
        if task is None or consumer is None:
            raise ConnectError(f"connector {self.definition.name!r} is not started")
        records = consumer.poll(self._poll_timeout_s, self._max_records)
        batch = [event for event in map(self._sink_record, records) if event is not None]
        if batch:
            task.put(batch)
        self.records_in += len(records)
        self.records_out += len(batch)
        self._unflushed += len(records)
        if time.monotonic() - self._flushed_at >= self._flush_interval_s:
            self.flush()
        if time.monotonic() - self._alive_at >= ALIVE_EVERY_S:
            self._alive_at = time.monotonic()
            with contextlib.suppress(ConnectorRefused):
                self._register()
        return len(records)

    def _sink_record(self, record: Record) -> SinkRecord | None:
        decoder = self._decoders[record.topic]
        reference = self._references[record.topic]
        try:
            event = decoder.event(record)
        except UnreadableEvent as exc:
            self._send_dead_letter(
                reference,
                exc.reason,
                {
                    "key_base64": _b64(record.key),
                    "value_base64": _b64(record.value),
                    "headers": [name for name, _ in record.headers],
                },
                reference,
                {"topic": record.topic, "partition": record.partition, "offset": record.offset},
            )
            return None
        schema_id = event.schema_id
        if schema_id is None:  # a tombstone: the schema of the product's latest value
            schema_id = self._latest_schema[record.topic]
        else:
            self._latest_schema[record.topic] = schema_id
        return SinkRecord(
            product=reference,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=event.key,
            value=event.value,
            timestamp_ms=record.timestamp_ms,
            schema_id=schema_id,
            schema=self._schema_text(schema_id),
        )

    def _schema_text(self, schema_id: int) -> str:
        text = self._schema_texts.get(schema_id)
        if text is None:
            text = self._services.registry.schema(schema_id).schema
            self._schema_texts[schema_id] = text
        return text

    def flush(self) -> None:
        """Make what was put durable with its offsets; commit those to the group (lag)."""
        task, consumer, letters = self._task, self._consumer, self._letters
        if task is None or consumer is None or letters is None:
            return
        letters.flush()  # dead letters first: the sink's offsets then move past them
        durable = task.flush()
        owned = set(self._partitions)
        offsets = {
            partition: offset
            for (topic, number), offset in durable.items()
            if (partition := TopicPartition(topic, number)) in owned
        }
        if offsets:
            consumer.commit(offsets)
        self._flushed_at = time.monotonic()
        self._unflushed = 0
        self._measure_lag()

    def _measure_lag(self) -> None:
        consumer = self._consumer
        if consumer is None or not self._partitions:
            return
        ends = consumer.end_offsets(self._partitions)
        self._lag = tuple(
            PartitionLag(tp.topic, tp.partition, consumer.position(tp), ends[tp])
            for tp in self._partitions
        )

    def progress(self, state: WorkerState) -> WorkerProgress:
        """A snapshot of the counters and the lag measured at the last flush."""
        return WorkerProgress(
            connector=self.definition.name,
            kind=self.definition.kind.name,
            role=self.definition.role,
            state=state,
            records_in=self.records_in,
            records_out=self.records_out,
            dead_letters=self.dead_letters,
            last_error=self.last_error,
            lag=self._lag,
        )

    def close(self) -> None:
        """Flush, then close the task, the consumer and the dead-letter producer;
        idempotent."""
        task, consumer, letters = self._task, self._consumer, self._letters
        try:
            if task is not None and consumer is not None:
                self.flush()
        finally:
            self._task = self._consumer = self._letters = None
            try:
                if task is not None:
                    task.close()
            finally:
                if consumer is not None:
                    consumer.close()
                if letters is not None:
                    letters.close()


def _b64(data: bytes | None) -> str | None:
    return base64.b64encode(data).decode("ascii") if data is not None else None
