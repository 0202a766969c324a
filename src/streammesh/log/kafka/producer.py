"""The Kafka producer: idempotent, acks=all, Java-compatible key partitioning.

``send`` validates everything before librdkafka queues the record, so bad input raises and
nothing is written. librdkafka batches and sends in its own threads; ``flush`` waits until the
cluster acknowledged every queued record (acks=all: every in-sync replica has it).

With a ``transactional_id`` it is librdkafka's transactional producer: records sent inside a
transaction reach the brokers as they are flushed (``read_uncommitted`` consumers may see
them) and become readable by ``read_committed`` consumers when the commit marker is written.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from confluent_kafka import Consumer as LibrdkafkaConsumer
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka import Producer as LibrdkafkaProducer
from confluent_kafka import TopicPartition as KafkaTopicPartition

from streammesh.log.base import (
    CleanupPolicy,
    GroupMetadata,
    Header,
    ProducerOptions,
    TopicPartition,
)
from streammesh.log.config import LogConfig
from streammesh.log.errors import (
    DeliveryFailed,
    InvalidPartition,
    InvalidRecord,
    LogError,
    LogTimeout,
    TransactionAborted,
)
from streammesh.log.kafka.admin import KafkaAdmin
from streammesh.log.kafka.settings import LIBRDKAFKA_LOGGER, client_config, producer_config
from streammesh.log.kafka.topic_configs import CLEANUP_POLICY, spec_from_configs
from streammesh.log.kafka.translate import describe_error, translate_exception
from streammesh.log.records import check_headers, check_record, plain_headers_size
from streammesh.log.topics import validate_topic_name
from streammesh.log.transactions import TransactionRules, TransactionState, transaction_offsets

_log = logging.getLogger(__name__)
_ABORT_ON_CLOSE_S = 5.0
"""How long close() waits for the abort of a transaction left open."""

_UNASSIGNED_PARTITION = -1
"""librdkafka's RD_KAFKA_PARTITION_UA: let the configured partitioner choose."""

_MAX_TIMESTAMP_MS = 2**63 - 1
"""A record timestamp is a signed 64-bit integer on the wire."""

_BACKPRESSURE_POLL_S = 0.05
_SERVE_EVERY = 1_024
"""Serve librdkafka's event queue (failed deliveries, log lines) every this many sends."""

_STALE_TOPIC_CODES = frozenset(
    {KafkaError._UNKNOWN_TOPIC, KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._UNKNOWN_PARTITION}
)
"""Delivery errors meaning the topic was deleted or re-created: look it up afresh."""

_FENCED_CODES = frozenset(
    {KafkaError._FENCED, KafkaError.PRODUCER_FENCED, KafkaError.INVALID_PRODUCER_EPOCH}
)
"""A newer producer with the same transactional id took over."""


@dataclass(frozen=True, slots=True)
class _TopicInfo:
    partitions: int
    compacted: bool


class KafkaProducer:
    """A producer on a Kafka cluster; see :class:`streammesh.log.base.Producer`."""

    def __init__(
        self,
        url: str,
        bootstrap: str,
        config: LogConfig,
        options: ProducerOptions,
        admin: KafkaAdmin,
    ) -> None:
        self._url = url
        self._admin = admin
        self._max_record_bytes = config.max_record_bytes
        self._block_timeout_s = config.request_timeout_s
        self._topics: dict[str, _TopicInfo] = {}
        self._failure_lock = threading.Lock()
        self._failed = 0
        self._first_failure: str | None = None
        self._sends = 0
        self._closed = False
        self._bootstrap = bootstrap
        self._config = config
        self._txn = TransactionRules(options.transactional_id, options.transaction_timeout_ms)
        self._transactional = self._txn.transactional
        self._group_handles: dict[str, object] = {}
        settings: dict[str, Any] = {
            **producer_config(bootstrap, config, options),
            "on_delivery": self._on_delivery,
        }
        self._client: Any = LibrdkafkaProducer(settings, logger=LIBRDKAFKA_LOGGER)

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
        """Queue one record; see :class:`streammesh.log.base.Producer`."""
        if self._closed:
            raise InvalidRecord(topic, "producer", "is closed")
        if self._transactional:
            self._txn.check_send(topic)
        info = self._topics.get(topic)
        if info is None:
            info = self._lookup(topic)
        # Headers as a producer of classified fields gives them (a tuple of (str, bytes)
        # pairs) stay on the inline path; anything else is checked below, naming what is bad.
        extra = plain_headers_size(headers) if headers else 0
        if (
            extra >= 0
            and type(value) is bytes
            and (type(key) is bytes or (key is None and not info.compacted))
            and (partition is None or (type(partition) is int and 0 <= partition < info.partitions))
            and (
                timestamp_ms is None
                or (type(timestamp_ms) is int and 0 <= timestamp_ms <= _MAX_TIMESTAMP_MS)
            )
            and len(value) + (len(key) if key else 0) + extra <= self._max_record_bytes
        ):  # the common case (a stream engine's too: its own timestamps and partitions),
            # checked inline: send() is the producer's hot path
            self._produce(
                topic,
                value,
                key,
                partition=_UNASSIGNED_PARTITION if partition is None else partition,
                timestamp_ms=time.time_ns() // 1_000_000 if timestamp_ms is None else timestamp_ms,
                headers=list(headers) if headers else None,
            )
            return
        checked_headers = check_headers(topic, headers) if headers else ()
        check_record(topic, key, value, checked_headers, timestamp_ms, self._max_record_bytes)
        if timestamp_ms is not None and timestamp_ms > _MAX_TIMESTAMP_MS:
            # librdkafka would raise OverflowError from inside produce().
            raise InvalidRecord(
                topic, "timestamp_ms", f"must fit in 64 bits (UTC ms), not {timestamp_ms!r}"
            )
        if partition is None:
            target = _UNASSIGNED_PARTITION
        elif isinstance(partition, bool) or not isinstance(partition, int):
            raise InvalidRecord(topic, "partition", f"must be an int, not {partition!r}")
        elif not 0 <= partition < info.partitions:
            raise InvalidPartition(topic, partition, info.partitions)
        else:
            target = partition
        if key is None and info.compacted:
            # Kafka would reject the batch later (and fail every record in it); refuse now.
            raise InvalidRecord(
                topic, "key", "is required: the topic is compacted, which keeps records by key"
            )
        if timestamp_ms is None:
            timestamp_ms = time.time_ns() // 1_000_000
        self._produce(
            topic,
            value,
            key,
            partition=target,
            timestamp_ms=timestamp_ms,
            headers=list(checked_headers) or None,
        )

    def flush(self, timeout: float | None = None) -> None:
        """Return once the cluster acknowledged every record sent so far."""
        try:
            remaining = self._client.flush(-1 if timeout is None else max(timeout, 0.0))
        except KafkaException as exc:
            raise translate_exception(exc, url=self._url, operation="flushing") from exc
        if remaining:
            raise LogTimeout(f"flush ({remaining} record(s) not yet acknowledged)", timeout or 0)
        self._raise_failures()

    def close(self) -> None:
        """Flush, then release the producer."""
        if self._closed:
            return
        try:
            if self._txn.in_transaction:
                # Left open, it would hold read_committed consumers back until it timed out.
                # Bounded: a fenced producer's abort can wait out the whole request timeout,
                # and the coordinator aborts the transaction at its own timeout anyway.
                try:
                    self.abort_transaction(timeout=_ABORT_ON_CLOSE_S)
                except LogError as exc:  # the coordinator aborts it at its timeout instead
                    _log.warning("Kafka producer: abort on close failed: %s", exc)
            self.flush()
        finally:
            self._closed = True

    # -- transactions -----------------------------------------------------------------------

    def init_transactions(self, timeout: float | None = None) -> None:
        """Register the transactional id with its coordinator, fencing older producers and
        aborting the transaction one of them left open."""
        self._txn.require("init_transactions", TransactionState.UNINITIALISED)
        self._call("initialising transactions", "init_transactions", self._timeout(timeout))
        self._txn.state = TransactionState.READY

    def begin_transaction(self) -> None:
        """Start a transaction (a local step: the coordinator hears of it with the first send)."""
        self._txn.require("begin_transaction", TransactionState.READY)
        self._call("beginning a transaction", "begin_transaction")
        self._txn.begin()

    def send_offsets_to_transaction(
        self,
        offsets: Mapping[TopicPartition, int],
        group: GroupMetadata | str,
        timeout: float | None = None,
    ) -> None:
        """Add the group's offsets to the transaction (TxnOffsetCommit through the group
        coordinator, checked against the member's generation when ``group`` is the consumer's
        ``group_metadata()``)."""
        self._txn.require("send_offsets_to_transaction", TransactionState.IN_TRANSACTION)
        metadata, checked = transaction_offsets(offsets, group)
        if not checked:
            return
        handle = metadata.handle if metadata.handle is not None else self._group_handle(metadata)
        positions = [KafkaTopicPartition(tp.topic, tp.partition, o) for tp, o in checked.items()]
        self._call(
            "sending offsets to the transaction",
            "send_offsets_to_transaction",
            positions,
            handle,
            self._timeout(timeout),
        )

    def commit_transaction(self, timeout: float | None = None) -> None:
        """Flush the transaction's records and commit it; ``TransactionAborted`` if it could
        not be and was aborted instead."""
        self._txn.require("commit_transaction", TransactionState.IN_TRANSACTION)
        self._call("committing the transaction", "commit_transaction", self._timeout(timeout))
        self._txn.state = TransactionState.READY
        self._raise_failures()

    def abort_transaction(self, timeout: float | None = None) -> None:
        """Abort the transaction: its records are marked aborted, its offsets dropped."""
        self._txn.require("abort_transaction", TransactionState.IN_TRANSACTION)
        self._call("aborting the transaction", "abort_transaction", self._timeout(timeout))
        self._txn.state = TransactionState.READY
        self._forget_failures()  # failed deliveries of an aborted transaction do not matter

    def _forget_failures(self) -> None:
        with self._failure_lock:
            self._failed, self._first_failure = 0, None

    def _timeout(self, timeout: float | None) -> float:
        return self._block_timeout_s if timeout is None else max(timeout, 0.0)

    def _call(self, operation: str, method: str, *args: object) -> None:
        """Call a transactional method of librdkafka, translating its errors.

        An error that requires an abort (a failed delivery, a transaction the coordinator
        timed out, a rebalanced group) aborts the transaction here and raises
        ``TransactionAborted``, so the caller has one case to handle: redo the work.
        """
        try:
            getattr(self._client, method)(*args)
        except KafkaException as exc:
            error = exc.args[0] if exc.args and isinstance(exc.args[0], KafkaError) else None
            if error is not None and error.code() in _FENCED_CODES:
                self._forget_failures()  # they belong to the transaction the fencing aborted
                raise self._txn.fence() from exc
            if error is not None and error.txn_requires_abort() and self._txn.in_transaction:
                transactional_id = self._txn.transactional_id or ""
                try:
                    self._client.abort_transaction(self._block_timeout_s)
                except KafkaException as abort_exc:
                    raise translate_exception(
                        abort_exc, url=self._url, operation="aborting the transaction"
                    ) from exc
                self._txn.state = TransactionState.READY
                self._forget_failures()
                raise TransactionAborted(
                    transactional_id, f"{operation} failed: {describe_error(error)}"
                ) from exc
            raise translate_exception(exc, url=self._url, operation=operation) from exc

    def _group_handle(self, metadata: GroupMetadata) -> object:
        """librdkafka's metadata of a group known by id only (no generation check)."""
        handle = self._group_handles.get(metadata.group)
        if handle is None:
            # librdkafka builds it only from a consumer configured with the group id; the
            # consumer never subscribes, so it joins nothing.
            settings = {**client_config(self._bootstrap, self._config), "group.id": metadata.group}
            consumer: Any = LibrdkafkaConsumer(settings, logger=LIBRDKAFKA_LOGGER)
            try:
                handle = consumer.consumer_group_metadata()
            finally:
                consumer.close()
            self._group_handles[metadata.group] = handle
        return handle

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _lookup(self, topic: str) -> _TopicInfo:
        validate_topic_name(topic)
        partitions = self._admin.partitions(topic)
        configs = self._admin.configs([topic]).get(topic, {})
        policy = spec_from_configs(topic, partitions, {CLEANUP_POLICY: configs.get(CLEANUP_POLICY)})
        info = _TopicInfo(partitions, policy.cleanup_policy is CleanupPolicy.COMPACT)
        self._topics[topic] = info
        return info

    def _produce(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None,
        *,
        partition: int,
        timestamp_ms: int,
        headers: list[Header] | None,
    ) -> None:
        """Queue one validated record; ``partition`` and ``timestamp_ms`` are resolved ints.

        librdkafka's ``produce`` gets partition, timestamp and headers by keyword: its positional
        order has a ``callback`` slot before ``on_delivery``, so a positional call shifts the
        headers into ``timestamp`` and fails with "'NoneType' object cannot be interpreted as
        an integer".
        """
        client = self._client
        deadline: float | None = None
        while True:
            try:
                client.produce(
                    topic, value, key, partition=partition, timestamp=timestamp_ms, headers=headers
                )
                break
            except BufferError:
                # The local queue is full: wait for acknowledgements to make room, never drop.
                now = time.monotonic()
                if deadline is None:
                    deadline = now + self._block_timeout_s
                elif now >= deadline:
                    raise LogTimeout(
                        "send (the producer's buffer stayed full)", self._block_timeout_s
                    ) from None
                client.poll(_BACKPRESSURE_POLL_S)
            except KafkaException as exc:
                raise translate_exception(
                    exc, url=self._url, operation="sending a record", topic=topic
                ) from exc
        self._sends += 1
        if self._sends % _SERVE_EVERY == 0:
            client.poll(0)

    def _on_delivery(self, error: Any, message: Any) -> None:
        # Called by librdkafka (inside poll/flush) for failed deliveries only.
        if error is None:
            return
        reason = f"'{message.topic()}': {describe_error(error)}"
        with self._failure_lock:
            self._failed += 1
            if self._first_failure is None:
                self._first_failure = reason
        if error.code() in _STALE_TOPIC_CODES:
            self._topics.pop(message.topic(), None)

    def _raise_failures(self) -> None:
        with self._failure_lock:
            failed, first = self._failed, self._first_failure
            self._failed, self._first_failure = 0, None
        if failed:
            raise DeliveryFailed(failed, first or "unknown")
