"""``ProductProducer``: writes events to a data product, refusing any that break its contract."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any, Self

from streammesh.control import ProductContract
from streammesh.dataplane.encoding import ProductEncoder, problem_of
from streammesh.dataplane.errors import ClientClosed, InvalidKey
from streammesh.log import EventLog, Header, ProducerOptions
from streammesh.privacy import FieldProtection
from streammesh.schemas import InvalidEvent as SchemaInvalidEvent
from streammesh.serde import SchemaResolver


class ProductProducer:
    """Validates, keys and serializes events of one data product and writes them to its topic.

    Events are checked against the product's current value schema (its subject's latest
    version when the producer is built) and serialized in the Confluent wire format; the key
    is taken from the contract's key field and encoded per its key type (see
    :mod:`streammesh.dataplane.keys`), so each event lands in the partition a Kafka client would
    choose. An event that breaks the schema or lacks a key raises :class:`InvalidEvent` and
    is not written. Sending is asynchronous and batched; :meth:`flush` returning means every
    event sent so far is durable.

    Example:
        >>> with mesh.producer("execution.stocktrades") as producer:  # doctest: +SKIP
        ...     producer.send({"trade_id": "t-1", "symbol": "ACME", "price": 12.5})
    """

    def __init__(
        self,
        log: EventLog,
        resolver: SchemaResolver,
        contract: ProductContract,
        options: ProducerOptions | None = None,
        *,
        protection: FieldProtection | None = None,
    ) -> None:
        """Args:
        log: The event log holding the product's topic.
        resolver: Where the product's value schema is found.
        contract: The product version to write to.
        options: How the underlying log producer batches.
        protection: Encrypts the product's classified fields into record headers (the
            event is validated as given first, then written with placeholders).

        Raises:
            TopicNotFound: the product's topic does not exist (the product is not applied).
            SubjectNotFound: the product has no registered value schema.
        """
        log.describe_topic(contract.topic)  # fail here, not at the first flush
        self.contract = contract
        self._topic = contract.topic
        self._encoder = ProductEncoder(resolver, contract, protection=protection)
        self._producer = log.producer(options)
        self._closed = False

    @property
    def schema_id(self) -> int:
        """The registry id of the schema events are written with."""
        return self._encoder.schema_id

    def send(
        self,
        event: Mapping[str, Any] | object,
        *,
        headers: Mapping[str, bytes] | None = None,
        timestamp_ms: int | None = None,
    ) -> None:
        """Validate ``event`` and queue it for the product's topic.

        Args:
            event: A mapping of fields, or a dataclass or pydantic model instance.
            headers: Record headers, name to bytes.
            timestamp_ms: The event's time in UTC milliseconds; default: now.

        Raises:
            InvalidEvent: ``event`` breaks the schema, or its key is missing, null or does
                not fit the key type; nothing is written.
            InvalidRecord: ``headers`` or ``timestamp_ms`` are malformed; nothing is written.
            ClientClosed: the producer is closed.
        """
        if self._closed:
            raise ClientClosed("producer", self.contract.reference)
        if headers is None:  # the usual call: only the headers protection adds
            key, value, sent = self._encoder.encode_record(event)
        else:
            try:
                key, value, protected = self._encoder.encode_fields(event)
            except (SchemaInvalidEvent, InvalidKey) as exc:
                raise self._encoder.invalid([problem_of(exc, None)], 1) from exc
            sent = _headers(headers) + tuple(protected.items())
        self._producer.send(self._topic, value, key=key, headers=sent, timestamp_ms=timestamp_ms)

    def send_many(self, events: Iterable[Mapping[str, Any] | object]) -> int:
        """Validate every event, then queue them all; if any is invalid, queue none.

        Returns:
            How many events were queued.

        Raises:
            InvalidEvent: listing each invalid event with its index in ``events`` (the
                message shows the first few); nothing is written.
            ClientClosed: the producer is closed.
        """
        self._check_open()
        listed = list(events)
        encoded, problems = self._encoder.encode_batch(listed)
        count = len(listed)
        if problems:
            raise self._encoder.invalid(problems, count)
        topic, send = self.contract.topic, self._producer.send
        for key, value, protected in encoded:
            send(topic, value, key=key, headers=tuple(protected.items()))
        return count

    def flush(self, timeout: float | None = None) -> None:
        """Return once every event sent so far is durable (on disk, or acknowledged by Kafka).

        Raises:
            DeliveryFailed: some events could not be made durable.
            LogTimeout: that took longer than ``timeout`` seconds.

        After :meth:`close` it returns at once: closing flushed.
        """
        if self._closed:  # close() flushed everything already
            return
        self._producer.flush(timeout)

    def close(self) -> None:
        """Flush and release the log producer; a second call does nothing."""
        if self._closed:
            return
        self._closed = True
        self._producer.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() flushes: events sent before an exception in the block were accepted, and
        # dropping them silently would be worse than writing them.
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise ClientClosed("producer", self.contract.reference)


def _headers(headers: Mapping[str, bytes] | None) -> tuple[Header, ...]:
    # The log checks names and values and raises InvalidRecord naming the bad one.
    if not headers:
        return ()
    if isinstance(headers, Mapping):
        return tuple(headers.items())
    return tuple(headers)
