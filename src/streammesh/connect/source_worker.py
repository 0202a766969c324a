"""``SourceRunner``: runs a source task under the mesh's guarantees.

On start it fences any earlier worker of the connector (its transactional id
``connect-<name>``: a transaction a killed worker left open is aborted), reads the last
committed position from the compacted topic ``<name>.offsets`` (read_committed), starts the
task there, checks that its service account may write each product it derives a schema for,
registers the connector as a producer of them (lineage), and brings each product's schema to
the one derived from the source (through the control plane, so the product's compatibility
rule and governance decide).

Each step polls the task, encodes every record as the data plane's producers do (schema
validation with field paths, key, classified fields encrypted per entity into headers) and
writes, in ONE log transaction, the events, the dead letters and the batch's last position;
only once that committed is the task told (:meth:`SourceTask.committed`). A crash anywhere
leaves either the whole batch with its position or none of it: restarted at the last
committed position, the source writes every change exactly once.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from streammesh.access import AccessDenied
from streammesh.connect.base import ConnectorContext, Position, SourceRecord, SourceTask
from streammesh.connect.columns import fit_schema
from streammesh.connect.definition import ConnectorDefinition
from streammesh.connect.errors import ConnectError, ConnectorRefused, PrincipalNotAllowed
from streammesh.connect.progress import WorkerProgress, WorkerState
from streammesh.connect.services import (
    WorkerServices,
    dead_letter_topic,
    dead_letter_value,
    external_dataset,
    offsets_topic,
    product_dataset,
    transactional_id,
)
from streammesh.control import (
    ApplicationRole,
    ControlError,
    PlanProblem,
    ProductNotFound,
    ProductSource,
)
from streammesh.dataplane import DataPlaneError, InvalidEvent, InvalidKey, ProductEncoder
from streammesh.errors import MeshError
from streammesh.log import (
    ConsumerOptions,
    Header,
    InvalidRecord,
    IsolationLevel,
    LogError,
    Producer,
    ProducerFenced,
    ProducerOptions,
    TopicPartition,
    TransactionAborted,
)
from streammesh.products import EventKind
from streammesh.registry import RegistryError
from streammesh.schemas import SchemaType

__all__ = ["PositionUnreadable", "SourceRunner"]

ALIVE_EVERY_S = 60.0
"""How often the connector's producer registrations are refreshed (lineage "active")."""

RESTORE_TIMEOUT_S = 30.0
"""How long reading ``<name>.offsets`` to its end may stall before the start fails."""


class PositionUnreadable(ConnectError):
    """The connector's offsets topic could not be read to its end, or holds no JSON."""

    def __init__(self, connector: str, reason: str) -> None:
        self.connector = connector
        self.reason = reason
        super().__init__(
            f"connector {connector!r}: its position in topic {offsets_topic(connector)!r} "
            f"cannot be read: {reason}"
        )


@dataclass(slots=True)
class _Target:
    """A product the source writes, as the worker writes it."""

    reference: str
    topic: str
    encoder: ProductEncoder
    takes_tombstones: bool


@dataclass(frozen=True, slots=True)
class _DeadLetter:
    stream: str
    reason: str
    raw: Mapping[str, Any] | None
    product: str | None = None


class SourceRunner:
    """Runs one source connector (see the module)."""

    def __init__(
        self, definition: ConnectorDefinition, services: WorkerServices, *, poll_timeout_s: float
    ) -> None:
        self.definition = definition
        self._services = services
        self._poll_timeout_s = poll_timeout_s
        self._task: SourceTask | None = None
        self._producer: Producer | None = None
        self._targets: dict[str, _Target] = {}
        self._refused: dict[str, str] = {}
        """Per product name, why the source no longer writes it."""
        self._schemas: dict[str, str] = {}
        """Per product name, the schema text last derived by the task."""
        self._streams: dict[str, set[str]] = {}
        self._stopped_streams: dict[str, set[str]] = {}
        self._dead: list[_DeadLetter] = []
        self._alive_at = time.monotonic()
        self._run_id = str(uuid.uuid4())
        self._recorded: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())
        """The streams and product topics last recorded for lineage."""
        self.position: Position | None = None
        self.records_in = 0
        self.records_out = 0
        self.dead_letters = 0
        self.last_error: str | None = None

    # -- starting ----------------------------------------------------------------------------

    def open(self) -> None:
        """Fence earlier workers, read the position, start the task, check its products.

        Raises:
            ConnectorRefused: a product the source derives a schema for does not exist, or
                the principal may not write it.
            PositionUnreadable: the offsets topic cannot be read to its end.
        """
        name = self.definition.name
        services = self._services
        services.ensure_topic(offsets_topic(name), compacted=True)
        services.ensure_topic(dead_letter_topic(name))
        producer = services.log.producer(
            ProducerOptions(transactional_id=transactional_id(name), client_id=f"connect-{name}")
        )
        self._producer = producer
        # First: aborts what a killed worker left open, so the position read next is the
        # last one committed (read_committed stops at an open transaction).
        producer.init_transactions()
        self.position = self._read_position()
        context = self._context()
        task = cast("SourceTask", self.definition.kind.create(self.definition.config, context))
        self._task = task
        task.start(self.position)
        self._evolve(task.schemas(), at_start=True)

    def _context(self) -> ConnectorContext:
        return self._services.context(self.definition.name, self._dead_letter)

    def _dead_letter(self, stream: str, reason: str, raw: Mapping[str, Any]) -> None:
        self._dead.append(_DeadLetter(stream, reason, raw))

    def _read_position(self) -> Position | None:
        name = self.definition.name
        partition = TopicPartition(offsets_topic(name), 0)
        options = ConsumerOptions(auto_commit=False, isolation_level=IsolationLevel.READ_COMMITTED)
        last: bytes | None = None
        with self._services.log.consumer(options) as reader:
            reader.assign([partition])
            reader.seek_to_beginning([partition])
            end = reader.end_offsets([partition])[partition]
            progressed = time.monotonic()
            while reader.position(partition) < end:
                records = reader.poll(0.2)
                for record in records:
                    if record.key == name.encode() and record.value is not None:
                        last = record.value
                if records:
                    progressed = time.monotonic()
                elif time.monotonic() - progressed > RESTORE_TIMEOUT_S:
                    raise PositionUnreadable(
                        name, f"stuck at offset {reader.position(partition)} of {end}"
                    )
        if last is None:
            return None
        try:
            document = json.loads(last)
        except ValueError as exc:
            raise PositionUnreadable(name, f"its last record is not JSON ({exc})") from None
        position = document.get("position") if isinstance(document, dict) else None
        if not isinstance(position, dict):
            raise PositionUnreadable(name, "its last record holds no 'position' object")
        return position

    # -- products and their schemas ----------------------------------------------------------

    def _target(self, product: str) -> _Target:
        """The product as the source writes it: resolved, write checked, lineage recorded.

        Raises:
            ConnectorRefused: no such product, or the principal may not write it.
        """
        found = self._targets.get(product)
        if found is not None:
            return found
        name, principal = self.definition.name, self.definition.principal
        plane = self._services.plane
        try:
            record = plane.product(product)
            encoder = self._services.data.encoder(record.reference, principal=principal)
            plane.register_application(
                record.reference, name, role=ApplicationRole.PRODUCER, principal=principal
            )
        except ProductNotFound as exc:
            raise ConnectorRefused(name, product, str(exc)) from None
        except AccessDenied as exc:
            raise PrincipalNotAllowed(
                name,
                product,
                f"{exc}; a source writes as a service account of the product's owning team "
                f"'{record.descriptor.team}' (as any producer does)",
            ) from None
        target = _Target(
            record.reference,
            record.topic,
            encoder,
            record.descriptor.kind is EventKind.STATE,
        )
        self._targets[product] = target
        return target

    def _evolve(self, schemas: Mapping[str, str], *, at_start: bool) -> None:
        """Bring each product's schema to the one the task derives, where it changed."""
        for product, text in schemas.items():
            if self._schemas.get(product) == text:
                continue
            self._schemas[product] = text
            try:
                target = self._target(product)
            except ConnectorRefused as exc:
                if at_start or isinstance(exc, PrincipalNotAllowed):
                    raise
                self._stop(product, exc.reason)
                continue
            refusal = self._apply_schema(target, self._fitted(target, text))
            if refusal is not None:
                self._stop(product, refusal)
                continue
            self._refused.pop(product, None)
            target.encoder = self._services.data.encoder(
                target.reference, principal=self.definition.principal
            )

    def _fitted(self, target: _Target, text: str) -> str:
        """``text`` fitted to the product's current Avro schema (:func:`fit_schema`: its
        record name, enums and docs kept where the source holds the same data)."""
        try:
            record = self._services.plane.product(target.reference)
            current = self._services.registry.schema(record.schema_id)
        except (ControlError, RegistryError):
            return text
        if current.schema_type is not SchemaType.AVRO:
            return text
        try:
            fitted = fit_schema(json.loads(text), json.loads(current.schema))
        except ValueError:
            return text
        return current.schema if fitted == json.loads(current.schema) else json.dumps(fitted)

    def _apply_schema(self, target: _Target, text: str) -> str | None:
        """Register ``text`` as the product's schema through the control plane (its
        compatibility rule and governance decide); why not, or ``None`` once done."""
        plane = self._services.plane
        record = plane.product(target.reference)
        source = ProductSource(
            record.descriptor, text, origin=f"connector '{self.definition.name}'"
        )
        try:
            plan = plane.plan([source])
            if plan.errors:
                return self._refusal(target.reference, plan.errors)
            if any(item.has_changes for item in plan.products):
                plane.apply([source], actor=self.definition.principal)
        except (ControlError, RegistryError) as exc:
            return f"the schema derived from the source cannot be applied: {exc}"
        return None

    def _refusal(self, reference: str, problems: tuple[PlanProblem, ...]) -> str:
        streams = sorted(self._streams.get(reference.rsplit(".v", 1)[0], set()))
        source = f" from {', '.join(repr(s) for s in streams)}" if streams else ""
        listed = "; ".join(
            problem.message + (f" ({'; '.join(problem.details)})" if problem.details else "")
            for problem in problems
        )
        return (
            f"the schema derived{source} is refused for product '{reference}': {listed}; its "
            f"changes go to '{dead_letter_topic(self.definition.name)}' until the change is "
            "compatible (or a new major version of the product takes it)"
        )

    def _stop(self, product: str, reason: str) -> None:
        self._refused[product] = reason
        self.last_error = self.definition.redact(reason)

    # -- running -----------------------------------------------------------------------------

    def step(self) -> int:
        """Poll the task once and commit what it returned; how many records it returned."""
        task, producer = self._task, self._producer
        if task is None or producer is None:
            raise ConnectError(f"connector {self.definition.name!r} is not started")
        records = list(task.poll(self._poll_timeout_s))
        self._evolve(task.schemas(), at_start=False)
        self._stay_alive()
        if not records and not self._dead:
            return 0
        dead, self._dead = self._dead, []
        written = 0
        producer.begin_transaction()
        try:
            for record in records:
                written += self._write(record, producer, dead)
            for letter in dead:
                producer.send(
                    dead_letter_topic(self.definition.name),
                    dead_letter_value(
                        self.definition.name,
                        letter.stream,
                        self.definition.redact(letter.reason),
                        letter.raw,
                        product=letter.product,
                    ),
                    key=letter.stream.encode("utf-8"),
                )
            if records:
                producer.send(
                    offsets_topic(self.definition.name),
                    json.dumps({"position": dict(records[-1].position)}, default=str).encode(),
                    key=self.definition.name.encode(),
                )
            producer.commit_transaction()
        except BaseException as exc:
            if not isinstance(exc, TransactionAborted | ProducerFenced):
                with contextlib.suppress(LogError):
                    producer.abort_transaction()
            self._dead = dead + self._dead  # handed over by the task: not lost with the batch
            raise
        self._record_lineage()
        self.records_in += len(records)
        self.records_out += written
        self.dead_letters += len(dead)
        if records:
            self.position = records[-1].position
            task.committed(self.position)
        return len(records)

    def _write(self, record: SourceRecord, producer: Producer, dead: list[_DeadLetter]) -> int:
        """Send ``record``'s event (1), or add it to ``dead`` with the reason (0)."""
        product = record.product
        streams = self._streams.get(product)
        if streams is None:  # not setdefault: it would build a set per record
            streams = self._streams[product] = set()
        streams.add(record.stream)
        reason = self._refused.get(product)
        if reason is None:
            try:
                target = self._target(product)
            except PrincipalNotAllowed:
                raise  # no record's fault: the connector stops, nothing of the batch is written
            except ConnectorRefused as exc:  # no such product: this record's fault
                reason = exc.reason
                self._stop(product, reason)
        if reason is not None:
            if record.stream not in self._stopped_streams.setdefault(product, set()):
                self._stopped_streams[product].add(record.stream)
                self.last_error = self.definition.redact(
                    f"stream '{record.stream}' stopped: {reason}"
                )
            dead.append(_DeadLetter(record.stream, reason, _raw(record), product))
            return 0
        try:
            if record.value is None:
                if not target.takes_tombstones:
                    raise _NotAnEvent(
                        f"a delete of a row of product '{target.reference}', which is not a "
                        "state product: only state products take tombstones"
                    )
                key, value = target.encoder.keys.encode(record.key), None
                headers: tuple[Header, ...] = ()
            else:
                key, value, headers = target.encoder.encode_record(record.value)
            if record.headers:
                headers = (
                    *((name, text.encode("utf-8")) for name, text in record.headers.items()),
                    *headers,
                )
            producer.send(
                target.topic, value, key=key, headers=headers, timestamp_ms=record.timestamp_ms
            )
        except (InvalidEvent, InvalidKey, InvalidRecord, _NotAnEvent) as exc:
            dead.append(_DeadLetter(record.stream, str(exc), _raw(record), target.reference))
            return 0
        return 1

    def _record_lineage(self) -> None:
        """Record the tables or files read and the products written, when they changed."""
        streams = frozenset(s for seen in self._streams.values() for s in seen if s)
        topics = frozenset(target.topic for target in self._targets.values())
        if (streams, topics) == self._recorded:
            return
        self._recorded = (streams, topics)
        kind = self.definition.kind.name
        with contextlib.suppress(MeshError):  # lineage must not stop the data
            self._services.record_run(
                self.definition.name,
                self._run_id,
                tuple(external_dataset(kind, stream) for stream in sorted(streams)),
                tuple(product_dataset(topic) for topic in sorted(topics)),
            )

    def _stay_alive(self) -> None:
        if time.monotonic() - self._alive_at < ALIVE_EVERY_S:
            return
        self._alive_at = time.monotonic()
        for target in self._targets.values():
            with contextlib.suppress(ControlError):
                self._services.plane.register_application(
                    target.reference,
                    self.definition.name,
                    role=ApplicationRole.PRODUCER,
                    principal=self.definition.principal,
                )

    def progress(self, state: WorkerState) -> WorkerProgress:
        """A snapshot of the counters."""
        return WorkerProgress(
            connector=self.definition.name,
            kind=self.definition.kind.name,
            role=self.definition.role,
            state=state,
            records_in=self.records_in,
            records_out=self.records_out,
            dead_letters=self.dead_letters,
            last_error=self.last_error,
            position=dict(self.position) if self.position is not None else None,
            stopped=dict(self._refused),
        )

    def close(self) -> None:
        """Close the task and the producer (an open transaction is aborted); idempotent."""
        task, producer = self._task, self._producer
        self._task = self._producer = None
        try:
            if task is not None:
                task.close()
        finally:
            if producer is not None:
                producer.close()


class _NotAnEvent(DataPlaneError):
    """A source record that cannot be an event of its product (a dead letter's reason)."""


def _raw(record: SourceRecord) -> dict[str, Any]:
    return {
        "key": record.key,
        "value": dict(record.value) if record.value is not None else None,
        "position": dict(record.position),
        "headers": dict(record.headers),
    }
