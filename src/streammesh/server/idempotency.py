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
- the write failed: the claim is released, so a retry writes.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import sqlalchemy as sa

from streammesh.server.errors import (
    IdempotencyKeyInProgress,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
)
from streammesh.store import MetadataStore, UtcDateTime

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
KEEP_S = 24 * 3600.0
"""How long a key's answer is kept (a retry later than this writes again)."""
CLAIM_LEASE_S = 120.0
"""A claim without an answer older than this belongs to a request whose server is gone."""
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
    the key now and must :meth:`IdempotencyKeys.record` or :meth:`IdempotencyKeys.release`."""

    key: str
    principal: str
    fingerprint: str
    answer: dict[str, Any] | None


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

    def __init__(self, store: MetadataStore) -> None:
        self._store = store
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
                return Claim(key, principal, fingerprint, None)
            if row["fingerprint"] != fingerprint:
                raise IdempotencyKeyReused(key)
            if row["result"] is not None:
                return Claim(key, principal, fingerprint, json.loads(row["result"]))
            if row["claimed_at"] > now - timedelta(seconds=CLAIM_LEASE_S):
                raise IdempotencyKeyInProgress(key, retry_after_s=1)
            # The request that claimed it is gone without an answer: this one takes over.
            connection.execute(sa.update(table).where(where).values(claimed_at=now))
            return Claim(key, principal, fingerprint, None)

    def record(self, claim: Claim, answer: Mapping[str, Any]) -> None:
        """Keep ``answer`` as the key's result (the events are durable)."""
        table = idempotency_keys
        with self._store.write(_LOCK) as connection:
            connection.execute(
                sa.update(table)
                .where(
                    (table.c.principal == claim.principal) & (table.c.idempotency_key == claim.key)
                )
                .values(result=json.dumps(dict(answer)))
            )

    def release(self, claim: Claim) -> None:
        """Forget a claim whose request failed, so that a retry writes."""
        table = idempotency_keys
        with self._store.write(_LOCK) as connection:
            connection.execute(
                sa.delete(table).where(
                    (table.c.principal == claim.principal)
                    & (table.c.idempotency_key == claim.key)
                    & table.c.result.is_(None)
                )
            )

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
