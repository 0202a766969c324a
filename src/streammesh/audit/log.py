"""``AuditLog``: recording changes inside the caller's transaction, and reading them back.

On PostgreSQL, ``record`` takes a transaction-scoped advisory lock before it inserts, held
until the caller commits: audit-writing transactions then commit in the order of their ids,
so a reader paging with ``after_id`` (and the relay) never sees id 7 before a late-committing
id 6. SQLite serializes writers anyway. Callers should therefore record late in their
transaction, and must not take another store lock after recording.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect, RowMapping

from streammesh.audit.actions import AuditAction
from streammesh.audit.entries import AuditEntry, AuditRecord
from streammesh.audit.errors import InvalidAuditEntry, InvalidAuditQuery
from streammesh.audit.state import decode_state, encode_state
from streammesh.audit.tables import events
from streammesh.store import MetadataStore, lock_key

MAX_LIMIT = 1000
AUDIT_LOCK = "audit-log"
"""The store lock ordering audit ids by commit (PostgreSQL)."""


class AuditLog:
    """The control plane's audit log in the metadata store.

    Example:
        >>> audit = AuditLog(store)
        >>> with store.write("catalog") as connection:
        ...     ...  # the change itself
        ...     audit.record(connection, AuditEntry(AuditAction.PRODUCT_PUBLISHED,
        ...                  "execution.stocktrades.v1", "cli:alice",
        ...                  before={"status": "draft"}, after={"status": "published"}),
        ...                  at=datetime.now(UTC))
    """

    def __init__(self, store: MetadataStore) -> None:
        self._store = store
        self._inserts: dict[str, _ManyInsert] = {}
        """:meth:`record_many`'s statement per dialect name."""

    def record(self, connection: Connection, entry: AuditEntry, *, at: datetime) -> int:
        """Write ``entry`` in the caller's open transaction; it is relayed to ``_mesh.events``
        after that transaction commits, and vanishes with it if it rolls back.

        Args:
            connection: A connection of this log's store inside a transaction
                (``store.write(...)``), the one making the change.
            entry: The change.
            at: When it happened; timezone-aware.

        Returns:
            The audit id of the new row.

        Raises:
            InvalidAuditEntry: a field is empty or not JSON-able; nothing is written.
        """
        row = _row(entry, at)
        if connection.dialect.name == "postgresql":
            connection.execute(
                sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(AUDIT_LOCK)}
            )
        inserted = connection.execute(events.insert().values(**row).returning(events.c.id))
        audit_id: int = inserted.scalar_one()
        return audit_id

    def record_many(
        self, connection: Connection, entries: Sequence[tuple[AuditEntry, datetime]]
    ) -> None:
        """Write several entries in the caller's open transaction, in order, with one
        insert: :meth:`record` for many changes of one transaction (a reader's key
        handouts), at a fraction of the cost per entry.

        Every entry is checked before anything is written, then all go to the driver in
        one ``executemany`` of a statement compiled once per dialect (no per-row work of
        SQLAlchemy's: ~1,000 rows are a reader's first batch).

        Raises:
            InvalidAuditEntry: an entry has an empty or non-JSON-able field; nothing is
                written.
        """
        rows = [_values(entry, at) for entry, at in entries]  # every entry checked first
        if not rows:
            return
        dialect = connection.dialect
        if dialect.name == "postgresql":
            connection.execute(
                sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(AUDIT_LOCK)}
            )
        insert = self._inserts.get(dialect.name)
        if insert is None:
            insert = self._inserts[dialect.name] = _ManyInsert.compile(dialect)
        connection.exec_driver_sql(insert.sql, insert.parameters(rows))

    def entries(
        self,
        *,
        subject: str | None = None,
        subject_prefix: str | None = None,
        actions: Collection[AuditAction] = (),
        after_id: int | None = None,
        limit: int = 100,
    ) -> list[AuditRecord]:
        """Recorded changes, oldest first (ascending id).

        Args:
            subject: Only changes about exactly this subject.
            subject_prefix: Only changes whose subject starts with this text (taken literally:
                ``_`` and ``%`` are not wildcards).
            actions: Only these actions (empty: every action).
            after_id: Only ids greater than this: pass the last id of a page to get the next.
            limit: At most this many, 1..1000.

        Raises:
            InvalidAuditQuery: ``limit`` is outside 1..1000, ``after_id`` is not an integer, or
                ``actions`` holds something that is not an action.
        """
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            raise InvalidAuditQuery("limit", f"is {limit!r}; use an integer in 1..{MAX_LIMIT}")
        if after_id is not None and (isinstance(after_id, bool) or not isinstance(after_id, int)):
            raise InvalidAuditQuery("after_id", f"is {after_id!r}; use the integer id of an entry")
        query = sa.select(events).order_by(events.c.id).limit(limit)
        if subject is not None:
            query = query.where(events.c.subject == subject)
        if subject_prefix:
            query = query.where(events.c.subject.startswith(subject_prefix, autoescape=True))
        if actions:
            query = query.where(events.c.action.in_(_action_values(actions)))
        if after_id is not None:
            query = query.where(events.c.id > after_id)
        with self._store.read() as connection:
            return [record_from_row(row) for row in connection.execute(query).mappings()]


def record_from_row(row: RowMapping) -> AuditRecord:
    """An ``AuditRecord`` from a row of ``audit_events``."""
    at: datetime = row["at"]
    # SQLite keeps no offset: every stored moment is UTC (see _row).
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return AuditRecord(
        id=row["id"],
        at=at,
        action=AuditAction(row["action"]),
        subject=row["subject"],
        actor=row["actor"],
        before=decode_state(row["before"]),
        after=decode_state(row["after"]),
        note=row["note"],
    )


def _action_values(actions: Collection[AuditAction]) -> list[str]:
    try:
        return [AuditAction(action).value for action in actions]
    except ValueError as exc:
        known = ", ".join(action.value for action in AuditAction)
        raise InvalidAuditQuery("actions", f"holds an unknown action ({exc}); use {known}") from exc


_COLUMNS = ("at", "action", "subject", "actor", "before", "after", "note")
"""The columns an entry fills, in the order of :func:`_values`."""

_Values = tuple[datetime, str, str, str, str | None, str | None, str | None]


@dataclass(frozen=True, slots=True)
class _ManyInsert:
    """The INSERT of :meth:`AuditLog.record_many` compiled for one dialect, and how its
    parameters are passed to that dialect's driver."""

    sql: str
    positional: bool
    at_processor: Callable[[Any], Any] | None
    """The dialect's conversion of ``at`` (SQLite stores text), as SQLAlchemy applies it."""

    @classmethod
    def compile(cls, dialect: Dialect) -> _ManyInsert:
        # inline(): no RETURNING of the new ids (PostgreSQL adds one otherwise).
        compiled = events.insert().inline().compile(dialect=dialect, column_keys=list(_COLUMNS))
        if compiled.positional and list(compiled.positiontup or ()) != list(_COLUMNS):
            raise AssertionError(f"unexpected parameter order {compiled.positiontup!r}")
        processor = events.c.at.type.dialect_impl(dialect).bind_processor(dialect)
        return cls(compiled.string, compiled.positional, processor)

    def parameters(self, rows: list[_Values]) -> list[tuple[Any, ...]] | list[dict[str, Any]]:
        """The driver's parameter sets for ``rows``."""
        process = self.at_processor
        if process is not None:
            rows = [(process(row[0]), *row[1:]) for row in rows]
        if self.positional:
            return list(rows)
        return [dict(zip(_COLUMNS, row, strict=True)) for row in rows]


def _row(entry: AuditEntry, at: datetime) -> dict[str, Any]:
    return dict(zip(_COLUMNS, _values(entry, at), strict=True))


def _values(entry: AuditEntry, at: datetime) -> _Values:
    """The column values of ``entry`` at ``at``, in the order of ``_COLUMNS``.

    Raises:
        InvalidAuditEntry: a field is empty or not JSON-able.
    """
    subject = entry.subject if isinstance(entry.subject, str) else repr(entry.subject)
    action = entry.action
    if type(action) is not AuditAction:
        try:
            action = AuditAction(action)
        except ValueError:
            raise InvalidAuditEntry(
                subject, "action", f"is {entry.action!r}, not one of the AuditAction values"
            ) from None
    for field, value in (("subject", entry.subject), ("actor", entry.actor)):
        if not isinstance(value, str) or not value.strip():
            raise InvalidAuditEntry(subject, field, f"is {value!r}; it must be non-empty text")
    if entry.note is not None and not isinstance(entry.note, str):
        raise InvalidAuditEntry(subject, "note", f"is {entry.note!r}; it must be text or None")
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise InvalidAuditEntry(subject, "at", f"is {at!r}; pass a timezone-aware datetime")
    return (
        at.astimezone(UTC),
        action.value,
        entry.subject,
        entry.actor,
        encode_state(subject, "before", entry.before),
        encode_state(subject, "after", entry.after),
        entry.note,
    )
