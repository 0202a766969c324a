"""``Idempotency-Key`` on REST produce: a retried request answers the first one's result.

A client that did not get an answer (a timeout, a replica that died) cannot know whether its
events were written; sending the request again with the same ``Idempotency-Key`` header is
safe. The server records, per principal and key, a fingerprint of the request and, once the
events are durable, the answer, in the metadata store (so every replica sharing it sees it)
for ``KEEP_S``:

- the key is new: it is claimed, the events are written, the answer is recorded;
- the key has an answer and the request is the same: that answer, nothing written;
- the key was used for another request (another product or other events): 422
  ``idempotency-key-reused``, nothing written;
- the key is claimed by a request still in progress: 409 ``idempotency-key-in-progress``
  (retry after it), unless the claim is older than ``CLAIM_LEASE_S`` (its server died), in
  which case this request takes it over;
- the request failed before writing: the claim is released, so a retry writes.

A request that dies between writing its events and recording its answer (its replica was
killed) may have written all, some or none of them. So every record a keyed request writes
carries a ``streammesh-idempotency`` header, ``<claim>:<index>`` (``<claim>`` a hash of the
principal and the key, never the key itself; ``<index>`` the event's place in the request),
and a request that takes a claim over (or retries one whose write failed) first reads the
product's topic from shortly before the key was first claimed for records of that claim
(:func:`find_written`): it writes only the events whose index it did not find, and answers
the partitions of all of them. A request starts writing within ``WRITE_START_S`` of its
claim and its log client's timeouts bound the write, so after ``CLAIM_LEASE_S`` nothing of
a request that lost its claim can still reach the log.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import sqlalchemy as sa

from streammesh.log import (
    ConsumerOptions,
    EventLog,
    Header,
    LogTimeout,
    TopicPartition,
)
from streammesh.server.errors import (
    IdempotencyKeyInProgress,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
)
from streammesh.store import MetadataStore, UtcDateTime

_LOGGER = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
RECORD_HEADER = "streammesh-idempotency"
"""The record header naming the claim and the index of the event in its request."""
MAX_KEY_LENGTH = 255
KEEP_S = 24 * 3600.0
"""How long a key's answer is kept (a retry later than this writes again)."""
WRITE_START_S = 10.0
"""A request that could not start writing this long after its claim gives up (503, nothing
written): so that what it writes lands well within the lease."""
CLAIM_LEASE_S = 30.0
"""A claim without an answer older than this belongs to a request whose server is gone: the
write starts within ``WRITE_START_S`` and the server's log clients give up on a send or a
delivery after its dependency timeout (5 s), so a live request is done (or failed) by then."""
SCAN_SLACK_S = 10.0
"""How much earlier than the first claim :func:`find_written` starts reading (record
timestamps come from the writing server's clock, or the broker's)."""
_SCAN_BATCH = 5_000
_ABANDONED = datetime(1970, 1, 1, tzinfo=UTC)
"""``claimed_at`` of a claim whose request failed after it may have written: the next request
with the key takes it over at once (and looks for what was written)."""
_PURGE_EVERY_S = 60.0
_LOCK = "idempotency-keys"

metadata = sa.MetaData()

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("principal", sa.String(255), primary_key=True),
    sa.Column("idempotency_key", sa.String(255), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("result", sa.Text, nullable=True),
    sa.Column("claimed_at", UtcDateTime(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)
"""Created by the store migration ``0015``."""


@dataclass(frozen=True, slots=True)
class Claim:
    """What the store said about a key: ``answer`` is the recorded answer of a finished
    request with the same key (return it, write nothing); ``None`` means this request holds
    the key now and must :meth:`IdempotencyKeys.record` or :meth:`IdempotencyKeys.release`.

    ``claimed_at`` is this request's hold on the key (a request that lost the key to another
    records nothing); ``first_claimed_at`` is when the key was first claimed, so no record
    of it is older; ``taken_over`` says an earlier request with the key may have written
    some of the events."""

    key: str
    principal: str
    fingerprint: str
    answer: dict[str, Any] | None
    claimed_at: datetime = _ABANDONED
    first_claimed_at: datetime = _ABANDONED
    taken_over: bool = False
    started: float = field(default_factory=time.monotonic)

    @property
    def token(self) -> str:
        """The claim's name on the log: a hash of the principal and the key."""
        return claim_token(self.principal, self.key)


def claim_token(principal: str, key: str) -> str:
    """The name of ``principal``'s key on the log (128 bits of SHA-256, in hex): another
    principal reading the records learns nothing of the key."""
    return hashlib.sha256(f"{principal}\0{key}".encode()).hexdigest()[:32]


def checked_key(raw: str) -> str:
    """The header's value if it can be a key (1-255 visible ASCII characters).

    Raises:
        InvalidIdempotencyKey: it cannot.
    """
    if not 1 <= len(raw) <= MAX_KEY_LENGTH or not all(33 <= ord(c) <= 126 for c in raw):
        raise InvalidIdempotencyKey(raw[:80], MAX_KEY_LENGTH)
    return raw


def fingerprint(product: str, events: Sequence[Mapping[str, Any]]) -> str:
    """What makes two produce requests the same: the product named and the events."""
    digest = hashlib.sha256(product.encode())
    digest.update(b"\n")
    digest.update(orjson.dumps(list(events), option=orjson.OPT_SORT_KEYS, default=str))
    return digest.hexdigest()


class IdempotencyKeys:
    """The keys of produce requests, in the metadata store (see the module docstring)."""

    def __init__(self, store: MetadataStore, log: EventLog) -> None:
        self._store = store
        self._log = log
        self._purged_at = -_PURGE_EVERY_S

    def claim(self, principal: str, key: str, fingerprint: str) -> Claim:
        """Claim ``key`` for a request of ``principal`` with ``fingerprint``.

        Raises:
            IdempotencyKeyReused: the key was used for another request.
            IdempotencyKeyInProgress: a request with the key is still being written.
        """
        now = datetime.now(UTC)
        self._purge(now)
        table = idempotency_keys
        where = (table.c.principal == principal) & (table.c.idempotency_key == key)
        with self._store.write(_LOCK) as connection:
            row = connection.execute(sa.select(table).where(where)).mappings().first()
            if row is not None and row["created_at"] < now - timedelta(seconds=KEEP_S):
                connection.execute(sa.delete(table).where(where))
                row = None
            if row is None:
                connection.execute(
                    sa.insert(table).values(
                        principal=principal,
                        idempotency_key=key,
                        fingerprint=fingerprint,
                        result=None,
                        claimed_at=now,
                        created_at=now,
                    )
                )
                return Claim(key, principal, fingerprint, None, now, now)
            if row["fingerprint"] != fingerprint:
                raise IdempotencyKeyReused(key)
            if row["result"] is not None:
                return Claim(key, principal, fingerprint, json.loads(row["result"]))
            if row["claimed_at"] > now - timedelta(seconds=CLAIM_LEASE_S):
                raise IdempotencyKeyInProgress(key, retry_after_s=1)
            # The request that claimed it is gone without an answer: this one takes over,
            # and looks for what that one wrote before writing (``written``).
            connection.execute(sa.update(table).where(where).values(claimed_at=now))
            return Claim(key, principal, fingerprint, None, now, row["created_at"], taken_over=True)

    def written(self, claim: Claim, topic: str, partitions: int) -> dict[int, int]:
        """Just before the events of ``claim``'s request are written to ``topic``: the
        partition of each event an earlier request with the key wrote already, by index (none
        unless the claim was taken over).

        Raises:
            LogTimeout: looking took too long, or the write would start too late after the
                claim (``WRITE_START_S``): nothing was written by this request.
            LogError: the topic could not be read.
        """
        found = find_written(self._log, topic, partitions, claim) if claim.taken_over else {}
        if time.monotonic() - claim.started > WRITE_START_S:
            raise LogTimeout(
                f"starting to write the events of Idempotency-Key '{claim.key}'", WRITE_START_S
            )
        return found

    def record(self, claim: Claim, answer: Mapping[str, Any]) -> None:
        """Keep ``answer`` as the key's result (the events are durable)."""
        table = idempotency_keys
        with self._store.write(_LOCK) as connection:
            kept = connection.execute(
                sa.update(table)
                .where(_held(claim) & table.c.result.is_(None))
                .values(result=json.dumps(dict(answer)))
            ).rowcount
        if not kept:  # a request that took the key over records its own answer
            _LOGGER.warning(
                "Idempotency-Key %r of %r was taken over before its answer was recorded",
                claim.key,
                claim.principal,
            )

    def release(self, claim: Claim, *, wrote: bool) -> None:
        """Let go of a claim whose request failed, so that a retry writes: forgotten if
        nothing of the key can be on the log, otherwise left for the next request with the
        key to take over at once (it writes only what is missing)."""
        table = idempotency_keys
        held = _held(claim) & table.c.result.is_(None)
        with self._store.write(_LOCK) as connection:
            if wrote or claim.taken_over:
                connection.execute(sa.update(table).where(held).values(claimed_at=_ABANDONED))
            else:
                connection.execute(sa.delete(table).where(held))

    def _purge(self, now: datetime) -> None:
        moment = time.monotonic()
        if moment - self._purged_at < _PURGE_EVERY_S:
            return
        self._purged_at = moment
        with self._store.write(_LOCK) as connection:
            connection.execute(
                sa.delete(idempotency_keys).where(
                    idempotency_keys.c.created_at < now - timedelta(seconds=KEEP_S)
                )
            )


@dataclass(slots=True)
class KeyedWrite:
    """One keyed produce request between its claim and its answer: what the produce path
    calls just before it writes (:meth:`written`), for each record's header, and at the end
    (:meth:`record` or :meth:`release`)."""

    keys: IdempotencyKeys
    claim: Claim
    began: bool = False
    _prefix: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._prefix = f"{self.claim.token}:"  # hashed once, not per record

    def written(self, topic: str, partitions: int) -> dict[int, int]:
        """See :meth:`IdempotencyKeys.written`; from here on, the request may have written."""
        found = self.keys.written(self.claim, topic, partitions)
        self.began = True
        return found

    def header(self, index: int) -> Header:
        """The header of the record of the request's ``index``-th event."""
        return (RECORD_HEADER, f"{self._prefix}{index}".encode())

    def record(self, answer: Mapping[str, Any]) -> None:
        """The events are durable: keep ``answer`` for retries."""
        self.keys.record(self.claim, answer)

    def release(self) -> None:
        """The request failed: let a retry write (what is missing)."""
        self.keys.release(self.claim, wrote=self.began)


def find_written(log: EventLog, topic: str, partitions: int, claim: Claim) -> dict[int, int]:
    """The partition of each record of ``claim`` on ``topic``, by event index: the records
    from shortly before the key was first claimed up to the end of each partition now.

    Raises:
        LogTimeout: reading did not end ``WRITE_START_S`` after the claim (the write must
            start by then).
        LogError: the topic could not be read.
    """
    prefix = f"{claim.token}:".encode()
    since_ms = max(int((claim.first_claimed_at.timestamp() - SCAN_SLACK_S) * 1000), 0)
    targets = [TopicPartition(topic, partition) for partition in range(partitions)]
    options = ConsumerOptions(
        auto_commit=False, max_poll_records=_SCAN_BATCH, client_id="streammesh-idempotency"
    )
    deadline = claim.started + WRITE_START_S
    found: dict[int, int] = {}
    with log.consumer(options) as consumer:
        consumer.assign(targets)
        ends = consumer.end_offsets(targets)
        consumer.seek_to_timestamp(since_ms, targets)
        left = [tp for tp in targets if consumer.position(tp) < ends[tp]]
        while left:
            if time.monotonic() > deadline:
                raise LogTimeout(
                    f"looking in '{topic}' for the events of Idempotency-Key '{claim.key}'",
                    WRITE_START_S,
                )
            for record in consumer.poll(0.5, _SCAN_BATCH):
                for name, value in record.headers:
                    if name == RECORD_HEADER and value and value.startswith(prefix):
                        index = value[len(prefix) :]
                        if index.isdigit():
                            found[int(index)] = record.partition
            left = [tp for tp in left if consumer.position(tp) < ends[tp]]
    return found


def _held(claim: Claim) -> sa.ColumnElement[bool]:
    """The key's row while ``claim`` still holds it (no other request took it over)."""
    table = idempotency_keys
    return (
        (table.c.principal == claim.principal)
        & (table.c.idempotency_key == claim.key)
        & (table.c.claimed_at == claim.claimed_at)
    )
