"""``Deliveries``: the record of every webhook and e-mail delivery, its retry schedule, and
the dead-letter list.

A row exists per (event id, target, channel): writing it is how a redelivered mesh event
(the log delivers at least once) becomes a no-op, and its state is the delivery's:
``pending`` rows are claimed when due, ``delivered`` ones are done, ``dead`` ones wait for
someone to re-drive them.
"""

from __future__ import annotations

import builtins
import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from streammesh.notify import tables
from streammesh.notify.errors import DeliveryNotFound
from streammesh.notify.model import Channel, Delivery, DeliveryState
from streammesh.notify.settings import NotifySettings
from streammesh.store import MetadataStore

DELIVERIES_LOCK = "notify-deliveries"
_T = tables.deliveries


@dataclass(frozen=True, slots=True)
class PlannedDelivery:
    """A delivery the notifier decided on for one event."""

    event_id: int
    event_type: str
    target: str
    channel: Channel
    address: str
    secret: str | None
    title: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """A due delivery claimed by this replica, with what it sends."""

    delivery: Delivery
    secret: str | None
    title: str
    payload: dict[str, Any]


class Deliveries:
    """The deliveries of one mesh."""

    def __init__(
        self,
        store: MetadataStore,
        settings: NotifySettings,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock or (lambda: datetime.now(UTC))

    def plan_in(self, connection: Connection, planned: Iterable[PlannedDelivery]) -> int:
        """Record deliveries not recorded yet, due now, in the caller's transaction (holding
        :data:`DELIVERIES_LOCK`); returns how many were new."""
        now = self._clock()
        added = 0
        for item in planned:
            exists = connection.execute(
                sa.select(_T.c.id).where(
                    _T.c.event_id == item.event_id,
                    _T.c.target == item.target,
                    _T.c.channel == item.channel.value,
                )
            ).first()
            if exists is not None:
                continue
            connection.execute(
                _T.insert().values(
                    id=secrets.token_hex(8),
                    event_id=item.event_id,
                    event_type=item.event_type,
                    target=item.target,
                    channel=item.channel.value,
                    address=item.address,
                    secret=item.secret,
                    title=item.title,
                    payload=json.dumps(item.payload, separators=(",", ":"), ensure_ascii=False),
                    state=DeliveryState.PENDING.value,
                    attempts=0,
                    next_attempt_at=now,
                    last_error=None,
                    created_at=now,
                    delivered_at=None,
                )
            )
            added += 1
        return added

    def claim_due(self, limit: int = 100) -> builtins.list[ClaimedDelivery]:
        """Pending deliveries whose time has come, oldest first, each pushed back by the
        claim lease so another replica leaves them alone while this one tries them."""
        now = self._clock()
        query = (
            sa.select(_T)
            .where(_T.c.state == DeliveryState.PENDING.value, _T.c.next_attempt_at <= now)
            .order_by(_T.c.next_attempt_at, _T.c.created_at)
            .limit(limit)
        )
        with self._store.write(DELIVERIES_LOCK) as connection:
            rows = connection.execute(query).mappings().all()
            if rows:
                connection.execute(
                    _T.update()
                    .where(_T.c.id.in_([row["id"] for row in rows]))
                    .values(next_attempt_at=now + self._settings.claim_lease)
                )
        return [
            ClaimedDelivery(_delivery(row), row["secret"], row["title"], json.loads(row["payload"]))
            for row in rows
        ]

    def succeeded(self, delivery_id: str) -> None:
        """Mark a delivery done."""
        now = self._clock()
        with self._store.write(DELIVERIES_LOCK) as connection:
            connection.execute(
                _T.update()
                .where(_T.c.id == delivery_id)
                .values(
                    state=DeliveryState.DELIVERED.value,
                    attempts=_T.c.attempts + 1,
                    delivered_at=now,
                    next_attempt_at=None,
                    last_error=None,
                )
            )

    def failed(self, delivery_id: str, error: str) -> DeliveryState:
        """Count a failed attempt: schedule the next one with exponential backoff, or move
        the delivery to the dead-letter list after the last attempt. Returns its new state."""
        now = self._clock()
        with self._store.write(DELIVERIES_LOCK) as connection:
            row = connection.execute(sa.select(_T.c.attempts).where(_T.c.id == delivery_id)).first()
            if row is None:
                raise DeliveryNotFound(delivery_id)
            attempts = int(row[0]) + 1
            dead = attempts >= self._settings.max_attempts
            state = DeliveryState.DEAD if dead else DeliveryState.PENDING
            connection.execute(
                _T.update()
                .where(_T.c.id == delivery_id)
                .values(
                    state=state.value,
                    attempts=attempts,
                    last_error=error[:2000],
                    next_attempt_at=None if dead else now + self._settings.delay_after(attempts),
                )
            )
        return state

    def list(
        self, *, state: DeliveryState | None = None, event_id: int | None = None
    ) -> builtins.list[Delivery]:
        """Deliveries, oldest first, optionally of one state (``dead``: the dead letters)."""
        query = sa.select(_T).order_by(_T.c.created_at, _T.c.event_id, _T.c.id)
        if state is not None:
            query = query.where(_T.c.state == DeliveryState(state).value)
        if event_id is not None:
            query = query.where(_T.c.event_id == event_id)
        with self._store.read() as connection:
            return [_delivery(row) for row in connection.execute(query).mappings()]

    def redrive(self, delivery_id: str) -> Delivery:
        """Put a dead letter back in the queue with a fresh set of attempts, due now.

        Raises:
            DeliveryNotFound: no dead-lettered delivery has this id.
        """
        now = self._clock()
        with self._store.write(DELIVERIES_LOCK) as connection:
            found = connection.execute(
                _T.update()
                .where(_T.c.id == delivery_id, _T.c.state == DeliveryState.DEAD.value)
                .values(state=DeliveryState.PENDING.value, attempts=0, next_attempt_at=now)
            )
            if found.rowcount != 1:
                raise DeliveryNotFound(delivery_id)
            row = connection.execute(sa.select(_T).where(_T.c.id == delivery_id)).mappings().one()
        return _delivery(row)


def _delivery(row: sa.RowMapping) -> Delivery:
    return Delivery(
        id=row["id"],
        event_id=int(row["event_id"]),
        event_type=row["event_type"],
        target=row["target"],
        channel=Channel(row["channel"]),
        address=row["address"],
        state=DeliveryState(row["state"]),
        attempts=int(row["attempts"]),
        next_attempt_at=row["next_attempt_at"],
        last_error=row["last_error"],
        created_at=row["created_at"],
        delivered_at=row["delivered_at"],
    )
