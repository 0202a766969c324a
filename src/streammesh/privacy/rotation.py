"""Key rotation: every wrapped key of the mesh re-wrapped under another master key.

Only the wrapped copies of the data keys (and product secrets) change: the data keys
themselves, and so every event in the log, stay as they are. Keys are re-wrapped in batches,
each batch its own transaction under the key store's lock, and a key already wrapped by the
target master key is skipped: a rotation that is killed continues where it stopped when it is
run again. Each run that completes is audited (``privacy.keys-rotated``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from streammesh.audit import AuditAction, AuditEntry, AuditLog
from streammesh.privacy.keys import KEYS_LOCK, data_key_context, product_secret_context
from streammesh.privacy.kms import Kms
from streammesh.privacy.tables import data_keys, product_keys
from streammesh.store import MetadataStore

DEFAULT_BATCH_SIZE = 200
AUDIT_SUBJECT = "privacy:master-key"
"""The subject of the audit entries of rotations."""


@dataclass(frozen=True, slots=True)
class RotationProgress:
    """How far a running rotation is.

    Attributes:
        done: Keys re-wrapped by this run so far.
        total: Keys this run has to re-wrap (those not under the target when it started).
    """

    done: int
    total: int


@dataclass(frozen=True, slots=True)
class RotationSummary:
    """What one run of a rotation did.

    Attributes:
        key_id: The master key every key is now wrapped by.
        rewrapped: Keys this run re-wrapped.
        already_rotated: Keys already wrapped by ``key_id`` when it started (by an earlier,
            interrupted run, or made since under that key).
        from_key_ids: The master keys the re-wrapped keys were wrapped by before.
    """

    key_id: str
    rewrapped: int
    already_rotated: int
    from_key_ids: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        """The summary as JSON types (``keys rotate --json``)."""
        return {
            "key_id": self.key_id,
            "rewrapped": self.rewrapped,
            "already_rotated": self.already_rotated,
            "from_key_ids": list(self.from_key_ids),
        }


def rotate_keys(
    store: MetadataStore,
    source: Kms,
    target: Kms,
    *,
    actor: str,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_batch: Callable[[RotationProgress], None] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> RotationSummary:
    """Re-wrap every live key of ``store`` not yet wrapped by ``target``'s master key.

    Args:
        store: The metadata store holding the keys.
        source: Unwraps the keys as they are (it knows their master keys).
        target: Wraps them again; may be ``source`` itself, when its current master key is
            the new one and the old ones are its previous keys.
        actor: Who rotates (audited).
        batch_size: Keys re-wrapped per transaction.
        on_batch: Called after each committed batch (a progress bar).
        clock: The time of the audit entry.

    Raises:
        KmsError: a key cannot be unwrapped or wrapped; the batch it was in is not written
            and the keys re-wrapped before it stay re-wrapped.
    """
    key_id = target.key_id
    total, already = _counts(store, key_id)
    done = 0
    sources: set[str] = set()
    for rotate_batch in (_rotate_data_keys, _rotate_product_secrets):
        while True:
            with store.write(KEYS_LOCK) as connection:
                moved = rotate_batch(connection, source, target, key_id, batch_size)
            if not moved:
                break
            done += len(moved)
            sources.update(moved)
            if on_batch is not None:
                on_batch(RotationProgress(done, max(total, done)))
    summary = RotationSummary(key_id, done, already, tuple(sorted(sources)))
    at = (clock or (lambda: datetime.now(UTC)))()
    with store.write(KEYS_LOCK) as connection:
        AuditLog(store).record(
            connection,
            AuditEntry(AuditAction.KEYS_ROTATED, AUDIT_SUBJECT, actor, after=summary.as_dict()),
            at=at,
        )
    return summary


def keys_to_rotate(store: MetadataStore, key_id: str) -> int:
    """How many live keys of ``store`` are not wrapped by master key ``key_id``."""
    return _counts(store, key_id)[0]


def _counts(store: MetadataStore, key_id: str) -> tuple[int, int]:
    """(keys not wrapped by ``key_id``, keys wrapped by it), live data keys and secrets."""
    with store.read() as connection:
        rows = list(
            connection.execute(
                sa.select(data_keys.c.kek_id == key_id, sa.func.count())
                .where(data_keys.c.wrapped.is_not(None))
                .group_by(data_keys.c.kek_id == key_id)
            ).all()
        )
        rows += connection.execute(
            sa.select(product_keys.c.kek_id == key_id, sa.func.count()).group_by(
                product_keys.c.kek_id == key_id
            )
        ).all()
    other = sum(int(count) for same, count in rows if not same)
    same = sum(int(count) for same, count in rows if same)
    return other, same


def _rotate_data_keys(
    connection: Connection, source: Kms, target: Kms, key_id: str, batch_size: int
) -> list[str]:
    """Re-wrap one batch of data keys; the master key ids they had."""
    table = data_keys.c
    rows = connection.execute(
        sa.select(table.product, table.entity_key, table.version, table.wrapped, table.kek_id)
        .where(table.wrapped.is_not(None), table.kek_id != key_id)
        .order_by(table.product, table.entity_key, table.version)
        .limit(batch_size)
    ).all()
    for row in rows:
        context = data_key_context(row.product, row.entity_key, row.version)
        material = source.unwrap(row.wrapped, context, row.kek_id)
        connection.execute(
            data_keys.update()
            .where(
                table.product == row.product,
                table.entity_key == row.entity_key,
                table.version == row.version,
            )
            .values(wrapped=target.wrap(material, context), kek_id=key_id)
        )
    return [row.kek_id for row in rows]


def _rotate_product_secrets(
    connection: Connection, source: Kms, target: Kms, key_id: str, batch_size: int
) -> list[str]:
    """Re-wrap one batch of product secrets; the master key ids they had."""
    table = product_keys.c
    rows = connection.execute(
        sa.select(table.product, table.wrapped, table.kek_id)
        .where(table.kek_id != key_id)
        .order_by(table.product)
        .limit(batch_size)
    ).all()
    for row in rows:
        context = product_secret_context(row.product)
        material = source.unwrap(row.wrapped, context, row.kek_id)
        connection.execute(
            product_keys.update()
            .where(table.product == row.product)
            .values(wrapped=target.wrap(material, context), kek_id=key_id)
        )
    return [row.kek_id for row in rows]
