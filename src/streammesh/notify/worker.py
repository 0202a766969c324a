"""``Notifier``: the delivery worker reading ``_mesh.events`` as a consumer group.

For each batch of events it records, in one transaction, the deliveries and inbox items each
event makes (skipping those recorded already: the log delivers at least once), then tries the
deliveries that are due (new ones and retries), then commits the group's offsets. A worker
killed anywhere in between re-reads the batch on restart and finds its deliveries recorded,
so no receiver gets an event twice — except one whose delivery succeeded in the instant
before its row was marked delivered, which no sender can rule out.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from streammesh.audit import AuditRecord, MalformedMeshEvent, decode_event, mesh_events_spec
from streammesh.control import ControlPlane, OpenMesh
from streammesh.heartbeat import BackgroundWork, Heartbeat
from streammesh.log import (
    Consumer,
    ConsumerOptions,
    EventLog,
    OffsetReset,
    Record,
    TopicAlreadyExists,
    TopicNotFound,
    TopicPartition,
    partition_lags,
)
from streammesh.notify.audience import AudienceFinder
from streammesh.notify.deliveries import DELIVERIES_LOCK, ClaimedDelivery, Deliveries
from streammesh.notify.email import EmailSender
from streammesh.notify.errors import DeliveryAttemptFailed
from streammesh.notify.inbox import Inbox
from streammesh.notify.messages import notice_of
from streammesh.notify.model import Channel, DeliveryState
from streammesh.notify.routing import routes
from streammesh.notify.settings import NotifySettings, load_notify_settings
from streammesh.notify.subscriptions import Subscriptions
from streammesh.notify.webhook import WebhookSender
from streammesh.store import MetadataStore

_LOGGER = logging.getLogger(__name__)
_BATCH = 100
_POLL_S = 0.2
_RELAY_EVERY_S = 15.0
_GROUP_CHECK_EVERY_S = 10.0


@dataclass(frozen=True, slots=True)
class ChannelReport:
    """What one round did on one sending channel (webhook or e-mail).

    Attributes:
        delivered: Deliveries that succeeded.
        failed: Attempts that failed (each rescheduled, or dead-lettered when it was the last).
        dead: Deliveries moved to the dead-letter list.
    """

    delivered: int = 0
    failed: int = 0
    dead: int = 0

    @property
    def retried(self) -> int:
        """Failed attempts whose delivery is tried again later."""
        return self.failed - self.dead

    @property
    def attempted(self) -> bool:
        """Whether anything was tried on the channel."""
        return bool(self.delivered or self.failed)

    def __add__(self, other: ChannelReport) -> ChannelReport:
        return ChannelReport(
            self.delivered + other.delivered, self.failed + other.failed, self.dead + other.dead
        )


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one round of the notifier did, per channel.

    Attributes:
        events: Mesh events read from the log.
        planned: New webhook and e-mail deliveries recorded (redelivered events add none).
        inbox: Inbox items added (they are written with the event, not sent; a redelivered
            event adds none).
        webhook: Attempts on webhooks.
        email: Attempts on e-mail.
    """

    events: int = 0
    planned: int = 0
    inbox: int = 0
    webhook: ChannelReport = ChannelReport()
    email: ChannelReport = ChannelReport()

    @property
    def delivered(self) -> int:
        """Webhook and e-mail deliveries that succeeded (inbox items are not counted)."""
        return self.webhook.delivered + self.email.delivered

    @property
    def failed(self) -> int:
        """Failed webhook and e-mail attempts."""
        return self.webhook.failed + self.email.failed

    @property
    def dead(self) -> int:
        """Deliveries moved to the dead-letter list."""
        return self.webhook.dead + self.email.dead

    def __add__(self, other: DeliveryReport) -> DeliveryReport:
        return DeliveryReport(
            self.events + other.events,
            self.planned + other.planned,
            self.inbox + other.inbox,
            self.webhook + other.webhook,
            self.email + other.email,
        )


class Stoppable(Protocol):
    """Background work the server starts and stops."""

    def stop(self) -> None: ...


class Notifier:
    """Reads mesh events as the consumer group ``settings.group`` and delivers them.

    Example:
        >>> with Notifier(mesh.store, mesh.log, mesh.plane, NotifySettings()) as notifier:
        ...     offsets, report = notifier.read_and_deliver()
        ...     notifier.commit(offsets)
    """

    def __init__(
        self,
        store: MetadataStore,
        log: EventLog,
        plane: ControlPlane,
        settings: NotifySettings,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._log = log
        self._settings = settings
        self._subscriptions = Subscriptions(store, clock)
        self._deliveries = Deliveries(store, settings, clock)
        self._inbox = Inbox(store, clock)
        self._audience = AudienceFinder(store, plane)
        self._store = store
        self._webhooks: WebhookSender | None = None
        self._email = EmailSender(settings.smtp)
        self._consumer: Consumer | None = None
        self._group_committed: tuple[int | None, ...] | None = None
        self._group_checked_at = float("-inf")
        self._group_idle = True

    def read_and_deliver(
        self, timeout: float = 1.0
    ) -> tuple[dict[TopicPartition, int], DeliveryReport]:
        """Read the next batch of events, record what they make, and try every due delivery.

        Returns:
            The offsets to :meth:`commit` once the caller is done, and what happened.
        """
        consumer = self._open_consumer()
        records = consumer.poll(timeout, _BATCH)
        offsets: dict[TopicPartition, int] = {}
        planned = inbox = 0
        try:
            for record in records:
                offsets[TopicPartition(record.topic, record.partition)] = record.offset + 1
                try:
                    event = decode_event(record)
                except MalformedMeshEvent as exc:
                    _LOGGER.warning("skipping a record the relay did not write: %s", exc)
                    continue
                added, new_deliveries = self._record(event)
                inbox += added
                planned += new_deliveries
        except Exception:
            # The store failed: read the batch again next round (what was recorded of it is
            # skipped then), or the rest of it would be passed over for good.
            self._rewind(consumer, records)
            raise
        report = DeliveryReport(events=len(records), planned=planned, inbox=inbox)
        return offsets, report + self.deliver_due()

    def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Commit the group's offsets past the events :meth:`read_and_deliver` handled."""
        if offsets and self._consumer is not None:
            self._consumer.commit(dict(offsets))

    def run_once(self, timeout: float = 1.0) -> DeliveryReport:
        """One round: read, record, deliver, commit."""
        offsets, report = self.read_and_deliver(timeout)
        self.commit(offsets)
        return report

    def caught_up(self) -> bool:
        """Whether the group has read every event the log holds now."""
        consumer = self._open_consumer()
        partitions = consumer.assignment()
        if not partitions:
            return False
        ends = consumer.end_offsets(list(partitions))
        return all(consumer.position(partition) >= end for partition, end in ends.items())

    def idle(self) -> bool:
        """Whether the notification work is not held up: this notifier has read everything
        of its partitions, or (none assigned to it: another member of the group has them, or
        the group is still joining) the group has nothing left to read or has committed
        further since the last call.

        Raises:
            LogError: The log cannot tell its offsets.
        """
        consumer = self._open_consumer()
        partitions = consumer.assignment()
        if partitions:
            ends = consumer.end_offsets(list(partitions))
            return all(consumer.position(partition) >= end for partition, end in ends.items())
        # A few requests to the cluster: asked now and then, not after every empty poll.
        now = time.monotonic()
        if now - self._group_checked_at < _GROUP_CHECK_EVERY_S:
            return self._group_idle
        self._group_checked_at = now
        try:
            lags = partition_lags(self._log, self._settings.group, self._settings.topic)
        except TopicNotFound:
            lags = ()
        committed = tuple(lag.committed for lag in lags)
        moved, self._group_committed = committed != self._group_committed, committed
        self._group_idle = moved or not any(lag.lag for lag in lags)
        return self._group_idle

    def _rewind(self, consumer: Consumer, records: Sequence[Record]) -> None:
        first: dict[TopicPartition, int] = {}
        for record in records:
            partition = TopicPartition(record.topic, record.partition)
            first[partition] = min(first.get(partition, record.offset), record.offset)
        try:
            for partition, offset in first.items():
                consumer.seek(partition, offset)
        except Exception as exc:  # leave the group instead: a new member resumes from the commit
            _LOGGER.warning("cannot read the failed batch again (%s); rejoining the group", exc)
            self._consumer = None
            with contextlib.suppress(Exception):
                consumer.close()

    def deliver_due(self) -> DeliveryReport:
        """Try every delivery whose time has come (new ones and retries)."""
        per_channel = {Channel.WEBHOOK: ChannelReport(), Channel.EMAIL: ChannelReport()}
        for claimed in self._deliveries.claim_due():
            # Anything not a webhook is sent as e-mail (see _send).
            channel = (
                Channel.WEBHOOK if claimed.delivery.channel is Channel.WEBHOOK else Channel.EMAIL
            )
            try:
                self._send(claimed)
            except DeliveryAttemptFailed as exc:
                state = self._deliveries.failed(claimed.delivery.id, exc.reason)
                dead = int(state is DeliveryState.DEAD)
                per_channel[channel] += ChannelReport(failed=1, dead=dead)
                _LOGGER.info("delivery %s failed (%s): %s", claimed.delivery.id, state, exc)
            else:
                per_channel[channel] += ChannelReport(delivered=1)
                self._deliveries.succeeded(claimed.delivery.id)
        return DeliveryReport(
            webhook=per_channel[Channel.WEBHOOK], email=per_channel[Channel.EMAIL]
        )

    def close(self) -> None:
        """Leave the consumer group without committing and release the senders."""
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            consumer.close()
        webhooks, self._webhooks = self._webhooks, None
        if webhooks is not None:
            webhooks.close()

    def _record(self, event: AuditRecord) -> tuple[int, int]:
        """Record what ``event`` makes: (inbox items added, deliveries planned)."""
        notice = notice_of(event)
        audience = self._audience.audience(notice)
        every = self._subscriptions.list()
        directed = self._subscriptions.of(sorted(audience.teams)) if audience else []
        found = routes(notice, every, audience, directed)
        with self._store.write(DELIVERIES_LOCK) as connection:
            added = sum(
                self._inbox.add_in(connection, recipient, notice) for recipient in found.inbox
            )
            return added, self._deliveries.plan_in(connection, found.deliveries)

    def _send(self, claimed: ClaimedDelivery) -> None:
        delivery = claimed.delivery
        if delivery.channel is Channel.WEBHOOK:
            body = json.dumps(claimed.payload, separators=(",", ":"), ensure_ascii=False)
            self._webhook_sender().send(
                delivery.address,
                body.encode(),
                secret=claimed.secret,
                event_type=delivery.event_type,
                delivery_id=delivery.id,
            )
            return
        notification = claimed.payload.get("notification") or {}
        text = str(notification.get("body") or json.dumps(claimed.payload, indent=2))
        self._email.send(delivery.address, claimed.title, text, delivery_id=delivery.id)

    def _webhook_sender(self) -> WebhookSender:
        if self._webhooks is None:
            self._webhooks = WebhookSender(
                self._settings.webhook_timeout_s, self._settings.webhook_targets
            )
        return self._webhooks

    def _open_consumer(self) -> Consumer:
        if self._consumer is None:
            with contextlib.suppress(TopicAlreadyExists):
                try:
                    self._log.describe_topic(self._settings.topic)
                except TopicNotFound:
                    self._log.create_topic(mesh_events_spec(self._settings.topic))
            options = ConsumerOptions(
                group=self._settings.group,
                auto_offset_reset=OffsetReset.EARLIEST,
                auto_commit=False,
                session_timeout_ms=6000,
                heartbeat_interval_ms=500,
                client_id="streammesh-notify",
            )
            consumer = self._log.consumer(options)
            consumer.subscribe([self._settings.topic])
            self._consumer = consumer
        return self._consumer

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def deliver_pending(
    mesh: OpenMesh,
    settings: NotifySettings | None = None,
    *,
    timeout: float = 10.0,
) -> DeliveryReport:
    """Relay pending mesh events, read every event the group has not handled, and try every
    due delivery, once; for tests and cron-style runs.

    Args:
        mesh: The open mesh.
        settings: How to deliver (default: ``NotifySettings()``).
        timeout: Stop reading after this many seconds even if not caught up.
    """
    mesh.plane.relay_events()
    report = DeliveryReport()
    deadline = time.monotonic() + timeout
    with Notifier(mesh.store, mesh.log, mesh.plane, settings or NotifySettings()) as notifier:
        while time.monotonic() < deadline:
            report += notifier.run_once(timeout=0.5)
            if notifier.caught_up():
                break
    return report


class _NotifierThread:
    """The notifier's loop (and the event relay's catch-up) in a daemon thread; ``stop()``
    ends it and waits. Each reports its progress on a :class:`Heartbeat` of its own."""

    def __init__(self, notifier: Notifier, relay: Callable[[], object], interval_s: float) -> None:
        self._notifier = notifier
        self._relay = relay
        self._interval_s = interval_s
        self.heartbeats = (Heartbeat("notifier"), Heartbeat("event-relay"))
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="streammesh-notify", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        relayed_at = float("-inf")
        try:
            while not self._stopping.is_set():
                # Changes relay their own events; this only picks up what a process that
                # died before relaying left behind, so it need not take the store's write
                # lock every round.
                if time.monotonic() - relayed_at >= _RELAY_EVERY_S:
                    relayed_at = time.monotonic()
                    self._relay_left_behind()
                report = self._round()
                if not (report.events or report.delivered or report.failed):
                    self._stopping.wait(self._interval_s)
        finally:
            try:
                self._notifier.close()
            except Exception as exc:  # the log down at shutdown: the group expires us anyway
                _LOGGER.warning("notifier not closed cleanly: %s", exc)

    def _relay_left_behind(self) -> None:
        try:
            self._relay()
        except Exception as exc:  # the next catch-up retries; changes relay their own too
            _LOGGER.warning("mesh events not relayed (will retry): %s", exc)
        else:
            self.heartbeats[1].progressed()

    def _round(self) -> DeliveryReport:
        try:
            report = self._notifier.run_once(timeout=_POLL_S)
            # Progress: events handled, deliveries tried, or nothing left to read.
            if report.events or report.delivered or report.failed or self._notifier.idle():
                self.heartbeats[0].progressed()
            return report
        except Exception:  # keep delivering: the next round retries what failed
            # The same consumer goes on (it read the failed batch again): closing it and
            # joining anew on every failure left a group whose rebalance never ended.
            _LOGGER.exception("notification round failed; retrying")
            return DeliveryReport()

    def stop(self) -> None:
        """Stop after the current round and release the consumer group."""
        self._stopping.set()
        self._thread.join(timeout=30)


def start_notifier(
    mesh: OpenMesh,
    settings: NotifySettings | None = None,
    *,
    interval_s: float = 1.0,
) -> BackgroundWork:
    """Start delivering notifications in a background thread (which also relays the mesh
    events a process left unrelayed); its heartbeats are ``notifier`` and ``event-relay``.

    Several processes may run one each: they share the work as one consumer group.

    Args:
        mesh: The open mesh (it must stay open until ``stop()`` returns).
        settings: How to deliver (default: ``mesh.yaml``'s ``notifications`` section).
        interval_s: How long to wait after a round that found nothing to do.

    Returns:
        Something to ``stop()`` when the server shuts down.
    """
    chosen = settings or load_notify_settings(mesh.config.home)
    notifier = Notifier(mesh.store, mesh.log, mesh.plane, chosen)
    return _NotifierThread(notifier, mesh.plane.relay_events, interval_s)
