"""``DataPlane``: the one way events of a data product are written and read.

The SDK's in-process mesh, the REST event and sample routes and the web UI's sample view all
go through it, so the rules around a producer and a consumer live here once:

- the product is looked up (``ProductNotFound`` when there is none);
- the grant check: only a service account of the owning team (or a platform admin) writes; a
  reader needs a grant, which decides whether classified fields are in clear or masked;
- a consumer group is registered as a consuming application of the product (and belongs to
  the principal that registered it first);
- schemas are resolved through the mesh's registry, and classified fields are protected as the
  mesh's governance policy asks.

Example:
    >>> data = runtime.data  # doctest: +SKIP
    >>> with data.producer("execution.stocktrades", principal="trades-app") as producer:
    ...     producer.send({"trade_id": "t-1", "symbol": "ACME", "price": 12.5})
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from streammesh.access import AccessControl, AccessDenied, Caller, ContentAccess, content_access
from streammesh.control import ApplicationRole, ControlPlane, ProductRecord
from streammesh.dataplane.consumer import ProductConsumer
from streammesh.dataplane.decoding import ProductDecoder
from streammesh.dataplane.encoding import ProductEncoder
from streammesh.dataplane.events import ProductEvent, event_fields, timestamp_of
from streammesh.dataplane.keys import KeyCodec
from streammesh.dataplane.producer import ProductProducer
from streammesh.dataplane.protection import protection_for
from streammesh.dataplane.sampling import SampleDecoder, count_since, latest_records
from streammesh.governance import PolicyRegistry
from streammesh.identity import Role
from streammesh.log import ConsumerOptions, EventLog, ProducerOptions, partition_for_key
from streammesh.privacy import FieldProtection, KeyStore
from streammesh.registry import SchemaRegistry
from streammesh.serde import RegistryResolver
from streammesh.store import GenerationMemo

_MINUTE_MS = 60_000


@dataclass(frozen=True, slots=True)
class Produced:
    """A batch written by :meth:`DataPlane.produce`, durable when returned.

    Attributes:
        product: The product version written to.
        accepted: How many events were written.
        schema_id: The registry id of the schema they were written with.
        partitions: The partition of each event, in the batch's order.
    """

    product: str
    accepted: int
    schema_id: int
    partitions: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Sample:
    """The latest events of a product as one reader may see them.

    Attributes:
        product: The product version.
        reading: Why the reader may see them, and whether classified fields are in clear.
        events: The events, newest last (records that are not events are left out).
    """

    product: str
    reading: ContentAccess
    events: tuple[ProductEvent, ...]


@dataclass(frozen=True, slots=True)
class PartitionOffsets:
    """The offsets a partition of a product's topic holds events between."""

    partition: int
    beginning_offset: int
    end_offset: int


@dataclass(frozen=True, slots=True)
class StreamStats:
    """A product's stream at a glance (metadata, not event contents).

    Attributes:
        product: The product version.
        topic: Its topic.
        partitions: Per partition, the offsets it holds events between.
        total_events: How many events the stream holds.
        last_event_at: When the last event was written, ``None`` for an empty stream.
        events_last_minute: How many events were written in the last minute.
    """

    product: str
    topic: str
    partitions: tuple[PartitionOffsets, ...]
    total_events: int
    last_event_at: datetime | None
    events_last_minute: int


class DataPlane:
    """Producers, consumers and samples of data products, with the grant check, field
    protection and schema resolution around them (see the module docstring).

    Built once per mesh by :class:`~streammesh.runtime.MeshRuntime` (``runtime.data``).
    """

    def __init__(
        self,
        plane: ControlPlane,
        log: EventLog,
        registry: SchemaRegistry,
        grants: AccessControl,
        keys: KeyStore,
        policies: PolicyRegistry,
    ) -> None:
        """Args:
        plane: The control plane: products and their consuming applications.
        log: The event log holding the products' topics.
        registry: Where the products' schemas are.
        grants: The grant checks (who may write and read what).
        keys: The data keys of encrypted fields.
        policies: The governance policies that say which fields are encrypted.
        """
        self._plane = plane
        self._log = log
        self._registry = registry
        self._resolver = RegistryResolver(registry)
        self._grants = grants
        self._keys = keys
        self._policies = policies
        # The per-request reads of encoder() and read_access(), kept while the store's
        # generation stays the same (any writer anywhere bumps it; see store.changes).
        self._memo = GenerationMemo(plane.store)

    def protection(self, record: ProductRecord) -> FieldProtection | None:
        """The field protection of ``record``'s product version, or ``None`` when the mesh's
        governance policy asks to encrypt none of its fields."""
        return protection_for(self._keys, self._policies, record)

    # -- writing -----------------------------------------------------------------------------

    def producer(
        self, reference: str, *, principal: str | None, options: ProducerOptions | None = None
    ) -> ProductProducer:
        """A producer of the product's current (or named) version; fields governance asks to
        encrypt are encrypted per entity key.

        Args:
            reference: The product (``execution.stocktrades``) or a version of it (``.v1``).
            principal: Who writes: a service account of the owning team or a platform admin;
                ``None`` is the mesh's operator (in-process, holding its keys), not checked.
            options: How the log producer batches.

        Raises:
            ProductNotFound: No such product.
            AccessDenied: ``principal`` may not write to the product.
            TopicNotFound: The product's topic does not exist (it is not applied).
        """
        record = self._plane.product(reference)
        if principal is not None:
            self._grants.check_write(principal, record.reference, record.descriptor.team)
        return ProductProducer(
            self._log, self._resolver, record.contract, options, protection=self.protection(record)
        )

    def encoder(self, reference: str, *, principal: str | None) -> ProductEncoder:
        """What a producer of the product's current (or named) version does to an event, for
        a writer with its own log producer (a connector writing inside its transactions, the
        server's REST produce, per request).

        The product, the write permission, the governance policy and the latest schema are
        read once per store generation (one statement per call while nothing they depend on
        changed, whoever changes it); a permission resting on a token's expiry is judged
        against the clock at every call.

        Raises:
            ProductNotFound: No such product.
            AccessDenied: ``principal`` may not write to the product (see :meth:`producer`).
            SubjectNotFound: The product has no registered value schema.
        """
        remembered = self._memo.current()
        record = remembered.get(("product", reference), lambda: self._plane.product(reference))
        if principal is not None:
            team = record.descriptor.team
            permission = remembered.get(
                ("writer", principal, record.reference, team),
                lambda: self._grants.write_permission(principal, record.reference, team),
            )
            permission.check(self._grants.now())
        return remembered.get(
            ("encoder", record.reference),
            lambda: ProductEncoder(
                self._resolver, record.contract, protection=self.protection(record)
            ),
        )

    def decoder(self, reference: str, *, reader: Caller | None, actor: str) -> ProductDecoder:
        """How ``reader`` reads records of the product's topic as events, for a reader with
        its own log consumer (a connector sink seeking to the offsets it stored).

        Classified fields are in clear when the reader's grant includes them (always for the
        operator, ``reader=None``), masked otherwise; nothing is registered.

        Raises:
            ProductNotFound: No such product.
            AccessDenied: ``reader`` has no grant to read the product.
        """
        record = self._plane.product(reference)
        clear = True if reader is None else self._read_clear(reader, record.reference)
        return ProductDecoder(
            record.contract,
            self._resolver,
            self.protection(record),
            clear=clear,
            principal=actor,
        )

    def produce(
        self, reference: str, events: Sequence[Mapping[str, Any] | object], *, principal: str
    ) -> Produced:
        """Validate every event, write them all (or, if one is invalid, none), and return once
        they are durable.

        Raises:
            ProductNotFound: No such product.
            AccessDenied: ``principal`` may not write to the product.
            InvalidEvent: Some events break the schema or key (each with its index); nothing
                was written.
        """
        with self.producer(reference, principal=principal) as producer:
            accepted = producer.send_many(events)
            producer.flush()
            contract = producer.contract
            schema_id = producer.schema_id
        codec = KeyCodec(contract.key_field, contract.key_type)
        count = self._log.describe_topic(contract.topic).partitions
        partitions = tuple(
            partition_for_key(codec.key_of(event_fields(event) or {}), count) for event in events
        )
        return Produced(contract.reference, accepted, schema_id, partitions)

    # -- reading -----------------------------------------------------------------------------

    def consumer(
        self,
        reference: str,
        group: str,
        *,
        reader: Caller | None,
        actor: str,
        from_beginning: bool = True,
        options: ConsumerOptions | None = None,
    ) -> ProductConsumer:
        """A consumer of the product in consumer group ``group``, registered with the product
        as the consuming application ``group`` (what "active consumers" and lineage count).

        Classified fields are decrypted when the reader's grant includes them (always for the
        operator), and masked otherwise.

        Args:
            reference: The product or a version of it.
            group: The consumer group.
            reader: Who reads, checked against its grants; a platform admin without a grant
                reads with classified fields masked. ``None`` is the mesh's operator
                (in-process), who holds its keys and is not checked.
            actor: Who registers the group (it then belongs to them) and receives the data
                keys, for the audit log.
            from_beginning: Where a new group starts: the oldest event, or only new ones.
            options: Session, commit and batching settings of the log consumer.

        Raises:
            ProductNotFound: No such product.
            AccessDenied: ``reader`` has no grant to read the product.
            NotAcceptingConsumers: ``group`` is new and the product is deprecated or retired.
            ConsumerGroupTaken: ``group`` was registered with the product by another principal.
        """
        record = self._plane.product(reference)
        clear = True if reader is None else self._read_clear(reader, record.reference)

        def register() -> None:
            self._plane.register_application(
                record.reference,
                group,
                role=ApplicationRole.CONSUMER,
                principal=actor,
                group=group,
            )

        register()
        return ProductConsumer(
            self._log,
            self._resolver,
            record.contract,
            group,
            options,
            from_beginning=from_beginning,
            on_alive=register,
            protection=self.protection(record),
            clear=clear,
            principal=actor,
        )

    def read_access(self, reference: str, reader: Caller) -> tuple[ProductRecord, bool]:
        """The product version ``reader`` reads and whether classified fields are in clear for
        it: the check :meth:`consumer` makes, for a reader that keeps its consumer open
        across requests (the server's REST consume) and must be checked at each.

        The product and the reader's approved grants are read once per store generation (as
        in :meth:`encoder`); whether a grant has expired is judged at every call.

        Raises:
            ProductNotFound: No such product.
            AccessDenied: ``reader`` has no grant to read the product.
        """
        remembered = self._memo.current()
        record = remembered.get(("product", reference), lambda: self._plane.product(reference))
        approved = remembered.get(
            ("approved", reader.name, record.reference),
            lambda: self._grants.approved(reader.name, record.reference),
        )
        grant = self._grants.active_grant(approved)
        if grant is not None:
            return record, grant.classified
        if reader.role is Role.PLATFORM_ADMIN:
            return record, False
        raise AccessDenied(reader.name, record.reference)

    def sample(self, reference: str, *, reader: Caller, limit: int) -> Sample:
        """The latest ``limit`` events of the product (newest last), read without a consumer
        group, as ``reader`` may see them: classified fields in clear only through a grant
        that includes them (each key handout audited under the reader's name).

        Raises:
            ProductNotFound: No such product.
            EventsNotReadable: ``reader`` may not read the product's events.
        """
        record = self._plane.product(reference)
        # Who may look: a grant (the reader's or its team's applications'), the owning team,
        # or an overseer; a grant with classified fields shows them in clear.
        reading = content_access(
            self._grants,
            self._plane.store,
            reader.name,
            reader.role,
            record.reference,
            record.descriptor.team,
        )
        decoder = SampleDecoder(record.contract, self._resolver, self.protection(record), reading)
        records = latest_records(self._log, record.topic, limit)
        events = tuple(event for event in map(decoder.event, records) if event is not None)
        return Sample(record.reference, reading, events)

    def stats(self, reference: str) -> StreamStats:
        """Per-partition offsets, how many events the product's stream holds, when the last
        one was written and how many were written in the last minute.

        Raises:
            ProductNotFound: No such product.
        """
        record = self._plane.product(reference)
        topic = record.topic
        description = self._log.describe_topic(topic)
        numbers = sorted(description.end_offsets)
        begin = {p: description.beginning_offsets.get(p, 0) for p in numbers}
        end = {p: description.end_offsets[p] for p in numbers}
        last = latest_records(self._log, topic, 1, per_partition=True)
        since = int(time.time() * 1000) - _MINUTE_MS
        return StreamStats(
            product=record.reference,
            topic=topic,
            partitions=tuple(PartitionOffsets(p, begin[p], end[p]) for p in numbers),
            total_events=sum(end[p] - begin[p] for p in numbers),
            last_event_at=max(timestamp_of(r.timestamp_ms) for r in last) if last else None,
            events_last_minute=count_since(self._log, topic, end, since),
        )

    def _read_clear(self, reader: Caller, product: str) -> bool:
        """Whether ``reader`` reads ``product``'s classified fields in clear; raises
        ``AccessDenied`` when it may not read the product at all.

        Platform admins operate the mesh (they look at streams to support them) but see no
        classified data without a grant that includes it.
        """
        grant = self._grants.read_grant(reader.name, product)
        if grant is not None:
            return grant.classified
        if reader.role is Role.PLATFORM_ADMIN:
            return False
        raise AccessDenied(reader.name, product)
