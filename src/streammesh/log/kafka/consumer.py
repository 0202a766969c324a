"""The Kafka consumer: a librdkafka consumer whose positions are always real offsets.

librdkafka leaves a partition's position undefined (-1001) until its first fetch and resolves
"latest" with a ListOffsets request some brokers get wrong (see ``offsets.py``). So this
consumer resolves every starting offset itself, from the group's commit or the reset policy
against the probed offsets, assigns partitions *with* those offsets, and tracks positions as
records are handed out. ``position`` is then exact right after ``assign``, a rebalance or a
seek, and equals what the next ``poll`` starts from.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from functools import partial
from types import TracebackType
from typing import Any, Self

from confluent_kafka import Consumer as LibrdkafkaConsumer
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka import TopicPartition as KafkaTopicPartition

from streammesh.log.base import (
    ConsumerOptions,
    GroupMetadata,
    IsolationLevel,
    OffsetReset,
    Record,
    TopicPartition,
)
from streammesh.log.config import LogConfig
from streammesh.log.consumer_rules import ConsumerRules, not_assigned
from streammesh.log.errors import (
    ConsumerStateError,
    InvalidPartition,
    LogError,
    OffsetOutOfRange,
)
from streammesh.log.kafka.admin import KafkaAdmin
from streammesh.log.kafka.offsets import OffsetProbe
from streammesh.log.kafka.settings import LIBRDKAFKA_LOGGER, consumer_config
from streammesh.log.kafka.translate import committed_offsets, translate_error, translate_exception
from streammesh.log.topics import validate_topic_name

_log = logging.getLogger(__name__)

_OFFSET_INVALID = -1001
"""librdkafka's "no offset" (nothing committed)."""

_IGNORED_EVENTS = frozenset({KafkaError._PARTITION_EOF})

# Records are built by the hundred thousand: tuple.__new__ skips NamedTuple's Python-level
# constructor (the embedded codec does the same).
_new_record = partial(tuple.__new__, Record)


class KafkaConsumer:
    """A consumer of a Kafka cluster; see :class:`streammesh.log.base.Consumer`.

    Auto-commit follows Kafka's at-least-once contract as ``ConsumerOptions`` describes it:
    the offsets of a poll's records are stored for librdkafka's background committer only
    when the next ``poll`` starts (``enable.auto.offset.store`` is off), and ``close`` commits
    the final positions.
    """

    def __init__(
        self,
        url: str,
        bootstrap: str,
        config: LogConfig,
        options: ConsumerOptions,
        admin: KafkaAdmin,
    ) -> None:
        self._url = url
        self._bootstrap = bootstrap
        self._config = config
        self._options = options
        self._admin = admin
        self._timeout_s = config.request_timeout_s
        self._auto_commit = options.auto_commit and options.group is not None
        # librdkafka needs a group id even to read assigned partitions; a private one that
        # never commits keeps a group-less consumer out of every real group.
        group_id = options.group or f"streammesh-unassigned-{uuid.uuid4().hex}"
        self._client: Any = LibrdkafkaConsumer(
            consumer_config(bootstrap, config, options, group_id), logger=LIBRDKAFKA_LOGGER
        )
        self._probe: OffsetProbe | None = None
        self._positions: dict[TopicPartition, int] = {}
        self._unstored: set[TopicPartition] = set()
        self._rules = ConsumerRules(options)

    # -- assignment -------------------------------------------------------------------------

    def subscribe(self, topics: Sequence[str]) -> None:
        names = self._rules.subscription(topics)
        for topic in names:
            self._admin.partitions(topic)
        try:
            self._client.subscribe(
                names,
                on_assign=self._on_assign,
                on_revoke=self._on_revoke,
                on_lost=self._on_lost,
            )
        except KafkaException as exc:
            raise translate_exception(exc, url=self._url, operation="subscribing") from exc
        self._rules.subscribed = True

    def assign(self, partitions: Sequence[TopicPartition]) -> None:
        wanted = self._rules.assignment(partitions)
        self._check_partitions(wanted)
        kept = {tp: self._positions[tp] for tp in wanted if tp in self._positions}
        starts = {**self._starting_offsets([tp for tp in wanted if tp not in kept]), **kept}
        self._assign_at(starts)
        self._rules.manual = True

    def assignment(self) -> frozenset[TopicPartition]:
        return frozenset(self._positions)

    # -- reading ----------------------------------------------------------------------------

    def poll(self, timeout: float = 1.0, max_records: int | None = None) -> list[Record]:
        limit = self._rules.poll_limit(max_records)
        self._store_consumed()
        client = self._client
        deadline = time.monotonic() + max(timeout, 0.0)
        try:
            # librdkafka's consume() waits for a full batch or the timeout; Kafka's poll returns
            # as soon as records are there. So take what is ready, and otherwise wait for one
            # record with poll() and then take whatever else is ready.
            records = self._records(client.consume(limit, 0))
            while not records:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                first = client.poll(remaining)
                if first is None:
                    break
                more = client.consume(limit - 1, 0) if limit > 1 else []
                records = self._records([first, *more])
        except KafkaException as exc:
            raise translate_exception(exc, url=self._url, operation="polling") from exc
        return records

    def _records(self, messages: list[Any]) -> list[Record]:
        """Records from librdkafka messages, moving each partition's position past them."""
        records: list[Record] = []
        append = records.append
        new_record = _new_record
        # Messages come in runs per partition: note a position when the run ends.
        run_topic: str | None = None
        run_partition = -1
        run_end = -1
        for message in messages:
            if message.error() is not None and self._skip_event(message):
                continue
            topic = message.topic()
            partition = message.partition()
            offset = message.offset()
            headers = message.headers()
            append(
                new_record(
                    (
                        topic,
                        partition,
                        offset,
                        message.key(),
                        message.value(),
                        tuple(headers) if headers else (),
                        message.timestamp()[1],
                    )
                )
            )
            if partition != run_partition or topic != run_topic:
                if run_topic is not None:
                    self._advance(run_topic, run_partition, run_end)
                run_topic, run_partition = topic, partition
            run_end = offset + 1
        if run_topic is not None:
            self._advance(run_topic, run_partition, run_end)
        return records

    def _advance(self, topic: str, partition: int, position: int) -> None:
        tp = TopicPartition(topic, partition)
        self._positions[tp] = position
        self._unstored.add(tp)

    def _skip_event(self, message: Any) -> bool:
        """True for a message that is an ignorable event; raise for a real error."""
        error = message.error()
        if error is None:
            return False
        if error.code() in _IGNORED_EVENTS:
            return True
        if error.retriable() and not error.fatal():
            _log.info("Kafka consumer: %s (librdkafka retries)", error.str())
            return True
        raise translate_error(
            error,
            url=self._url,
            operation="consuming",
            topic=message.topic(),
            partition=message.partition(),
            offset=message.offset(),
        )

    # -- positions --------------------------------------------------------------------------

    def seek(self, partition: TopicPartition, offset: int) -> None:
        tp = TopicPartition(*partition)
        self._assigned(tp)
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise OffsetOutOfRange(tp.topic, tp.partition, offset, "must be a non-negative int")
        self._seek(tp, offset)

    def seek_to_beginning(self, partitions: Sequence[TopicPartition] | None = None) -> None:
        targets = self._targets(partitions)
        for tp, offset in self._offset_probe().beginnings(targets).items():
            self._seek(tp, offset)

    def seek_to_end(self, partitions: Sequence[TopicPartition] | None = None) -> None:
        targets = self._targets(partitions)
        for tp, offset in self._offset_probe().ends(targets).items():
            self._seek(tp, offset)

    def seek_to_timestamp(
        self, timestamp_ms: int, partitions: Sequence[TopicPartition] | None = None
    ) -> None:
        if isinstance(timestamp_ms, bool) or not isinstance(timestamp_ms, int) or timestamp_ms < 0:
            raise ConsumerStateError(
                f"timestamp_ms must be a non-negative int (UTC ms), not {timestamp_ms!r}"
            )
        targets = self._targets(partitions)
        for tp, offset in self._offset_probe().offsets_for_time(targets, timestamp_ms).items():
            self._seek(tp, offset)

    def position(self, partition: TopicPartition) -> int:
        tp = TopicPartition(*partition)
        return self._past_control_records(tp, self._assigned(tp))

    def end_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        wanted = [TopicPartition(*tp) for tp in partitions]
        self._check_partitions(wanted)
        return self._offset_probe().ends(wanted)

    def lag(self) -> dict[TopicPartition, int]:
        positions = {tp: self._past_control_records(tp, at) for tp, at in self._positions.items()}
        ends = self._fetched_ends(positions)
        asked = [tp for tp in positions if tp not in ends]
        if asked:
            ends.update(self._offset_probe().ends(asked))
        return {tp: max(ends[tp] - position, 0) for tp, position in positions.items()}

    def _fetched_ends(self, positions: Mapping[TopicPartition, int]) -> dict[TopicPartition, int]:
        """The partitions whose high watermark in the last fetch response (librdkafka keeps
        it: no request) is beyond the position, and that watermark.

        Such a partition has records to read, whatever came since: its lag is at least what
        the watermark says. The others' ends are asked of the cluster (the probe: a listing
        and a confirming fetch, ~100-200 ms on a loaded test broker), so whether a lag is 0
        is always the cluster's answer. Not for ``read_committed``: its end is the last
        stable offset, which the high watermark may be beyond.
        """
        if self._options.isolation_level is not IsolationLevel.READ_UNCOMMITTED:
            return {}
        found: dict[TopicPartition, int] = {}
        for tp, position in positions.items():
            try:
                marks = self._client.get_watermark_offsets(
                    KafkaTopicPartition(tp.topic, tp.partition), cached=True
                )
            except KafkaException:
                continue
            if marks is not None and int(marks[1]) > position:
                found[tp] = int(marks[1])
        return found

    def group_metadata(self) -> GroupMetadata:
        self._rules.check_open()
        group = self._rules.group("group_metadata")
        try:
            handle = self._client.consumer_group_metadata()
            member = self._client.memberid() or ""
        except (KafkaException, RuntimeError) as exc:
            raise ConsumerStateError(f"group_metadata of group '{group}': {exc}") from exc
        return GroupMetadata(group, member_id=member, handle=handle)

    # -- committing -------------------------------------------------------------------------

    def commit(self, offsets: Mapping[TopicPartition, int] | None = None) -> None:
        self._rules.group("commit")
        self._rules.check_open()
        if offsets is None:
            chosen = dict(self._positions)
        else:
            chosen = {TopicPartition(*tp): offset for tp, offset in offsets.items()}
            # A partition assigned to this consumer exists: only others are asked of the
            # cluster (a metadata round trip, once per commit of a REST consume before).
            self._check_partitions([tp for tp in chosen if tp not in self._positions])
            for tp, offset in chosen.items():
                if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
                    raise OffsetOutOfRange(tp.topic, tp.partition, offset, "cannot be committed")
        self._commit(chosen)

    def committed(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int | None]:
        self._rules.group("committed")
        self._rules.check_open()
        wanted = [TopicPartition(*tp) for tp in partitions]
        return self._committed(wanted)

    def close(self) -> None:
        if self._rules.closed:
            return
        try:
            if self._auto_commit and self._positions:
                try:
                    # Stored offsets equal to the commit leave librdkafka's own final commit
                    # (in close) nothing older to write over it.
                    self._unstored.update(self._positions)
                    self._store_consumed()
                    self._commit(dict(self._positions))
                except LogError as exc:  # leaving the group matters more than this commit
                    _log.warning("Kafka consumer: final commit failed: %s", exc)
        finally:
            self._rules.closed = True
            self._positions.clear()
            try:
                self._client.close()
            finally:
                if self._probe is not None:
                    self._probe.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- group callbacks (run by librdkafka inside poll) ------------------------------------

    def _on_assign(self, client: Any, partitions: list[Any]) -> None:
        given = [TopicPartition(p.topic, p.partition) for p in partitions]
        self._assign_at(self._starting_offsets(given))

    def _on_revoke(self, client: Any, partitions: list[Any]) -> None:
        revoked = [TopicPartition(p.topic, p.partition) for p in partitions]
        if self._auto_commit:
            # Records handed out before this poll count as processed: keep them with the group
            # so the partition's next owner resumes after them.
            final = {tp: self._positions[tp] for tp in revoked if tp in self._positions}
            try:
                self._commit(final)
            except LogError as exc:  # the rebalance must go on; the commit is best effort
                _log.warning("Kafka consumer: commit on revoke failed: %s", exc)
        for tp in revoked:
            self._positions.pop(tp, None)
            self._unstored.discard(tp)
        client.unassign()

    def _on_lost(self, client: Any, partitions: list[Any]) -> None:
        for p in partitions:
            tp = TopicPartition(p.topic, p.partition)
            self._positions.pop(tp, None)
            self._unstored.discard(tp)
        client.unassign()

    # -- internals --------------------------------------------------------------------------

    def _starting_offsets(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        """Where each partition starts: the group's commit, else the reset policy."""
        if not partitions:
            return {}
        committed: dict[TopicPartition, int | None] = {}
        if self._options.group is not None:
            committed = self._committed(partitions)
        starts = {tp: offset for tp, offset in committed.items() if offset is not None}
        unset = [tp for tp in partitions if tp not in starts]
        if unset:
            probe = self._offset_probe()
            if self._options.auto_offset_reset is OffsetReset.EARLIEST:
                starts.update(probe.beginnings(unset))
            else:
                starts.update(probe.ends(unset))
        return starts

    def _assign_at(self, starts: Mapping[TopicPartition, int]) -> None:
        request = [KafkaTopicPartition(tp.topic, tp.partition, o) for tp, o in starts.items()]
        try:
            if request:
                self._client.assign(request)
            else:
                self._client.unassign()
        except KafkaException as exc:
            raise translate_exception(exc, url=self._url, operation="assigning") from exc
        self._positions = dict(starts)
        self._unstored &= set(starts)

    def _seek(self, tp: TopicPartition, offset: int) -> None:
        try:
            self._client.seek(KafkaTopicPartition(tp.topic, tp.partition, offset))
        except KafkaException as exc:
            raise translate_exception(
                exc, url=self._url, operation="seeking", topic=tp.topic, partition=tp.partition
            ) from exc
        self._positions[tp] = offset
        self._unstored.add(tp)

    def _store_consumed(self) -> None:
        """Hand the positions reached so far to librdkafka's auto-committer."""
        if not self._auto_commit or not self._unstored:
            return
        stored = [
            KafkaTopicPartition(tp.topic, tp.partition, self._positions[tp])
            for tp in self._unstored
            if tp in self._positions
        ]
        self._unstored.clear()
        if stored:
            try:
                self._client.store_offsets(offsets=stored)
            except KafkaException as exc:
                raise translate_exception(exc, url=self._url, operation="storing offsets") from exc

    def _commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        if not offsets:
            return
        request = [KafkaTopicPartition(tp.topic, tp.partition, o) for tp, o in offsets.items()]
        try:
            answer = self._client.commit(offsets=request, asynchronous=False)
        except KafkaException as exc:
            raise translate_exception(exc, url=self._url, operation="committing") from exc
        for entry in answer or ():
            if entry.error is not None:
                raise translate_error(
                    entry.error,
                    url=self._url,
                    operation="committing",
                    topic=entry.topic,
                    partition=entry.partition,
                )

    def _committed(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int | None]:
        if not partitions:
            return {}
        request = [KafkaTopicPartition(tp.topic, tp.partition) for tp in partitions]
        try:
            answer = self._client.committed(request, timeout=self._timeout_s)
        except KafkaException as exc:
            raise translate_exception(
                exc, url=self._url, operation="reading committed offsets"
            ) from exc
        return committed_offsets(answer, url=self._url)

    def _offset_probe(self) -> OffsetProbe:
        if self._probe is None:
            self._probe = OffsetProbe(
                self._url, self._bootstrap, self._config, self._options.isolation_level
            )
        return self._probe

    def _check_partitions(self, partitions: Sequence[TopicPartition]) -> None:
        counts: dict[str, int] = {}
        for tp in partitions:
            topic = validate_topic_name(tp.topic)
            if topic not in counts:
                counts[topic] = self._admin.partitions(topic)
            if (
                isinstance(tp.partition, bool)
                or not isinstance(tp.partition, int)
                or not 0 <= tp.partition < counts[topic]
            ):
                raise InvalidPartition(topic, tp.partition, counts[topic])

    def _past_control_records(self, tp: TopicPartition, position: int) -> int:
        """``position``, or librdkafka's own position where that is further on.

        A transaction's commit or abort marker takes an offset but is never handed out as a
        message, so positions tracked from messages stop before it; librdkafka moves past
        it. Its position is undefined (negative) after a seek until the next fetch, and never
        behind the messages handed out, so it can only move ours forward.
        """
        try:
            [found] = self._client.position([KafkaTopicPartition(tp.topic, tp.partition)])
        except KafkaException as exc:
            raise translate_exception(exc, url=self._url, operation="reading a position") from exc
        if found.error is None and found.offset > position:
            self._advance(tp.topic, tp.partition, found.offset)
            return int(found.offset)
        return position

    def _assigned(self, tp: TopicPartition) -> int:
        position = self._positions.get(tp)
        if position is None:
            raise not_assigned(tp)
        return position

    def _targets(self, partitions: Sequence[TopicPartition] | None) -> list[TopicPartition]:
        self._rules.check_open()
        if partitions is None:
            return list(self._positions)
        targets = [TopicPartition(*tp) for tp in partitions]
        for tp in targets:
            self._assigned(tp)
        return targets
