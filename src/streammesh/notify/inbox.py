"""``Inbox``: in-app notifications, one row per (recipient, event).

A recipient is a principal or a team; a principal reads its own items and its team's.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from streammesh.notify import tables
from streammesh.notify.errors import InboxItemNotFound
from streammesh.notify.messages import Notice
from streammesh.notify.model import InboxItem
from streammesh.store import MetadataStore

_T = tables.inbox


class Inbox:
    """The in-app inbox of every principal and team of one mesh."""

    def __init__(self, store: MetadataStore, clock: Callable[[], datetime] | None = None) -> None:
        self._store = store
        self._clock = clock or (lambda: datetime.now(UTC))

    def add_in(self, connection: Connection, recipient: str, notice: Notice) -> bool:
        """Put ``notice`` in ``recipient``'s inbox in the caller's transaction, unless it is
        there already (a redelivered event); returns whether it was added."""
        exists = connection.execute(
            sa.select(_T.c.id).where(_T.c.recipient == recipient, _T.c.event_id == notice.event.id)
        ).first()
        if exists is not None:
            return False
        connection.execute(
            _T.insert().values(
                recipient=recipient,
                event_id=notice.event.id,
                event_type=notice.event.action.value,
                subject=notice.event.subject,
                title=notice.title,
                body=notice.body,
                created_at=self._clock(),
                read_at=None,
            )
        )
        return True

    def items(
        self, recipients: Sequence[str], *, unread_only: bool = False, limit: int = 100
    ) -> builtins.list[InboxItem]:
        """The items addressed to any of ``recipients``, newest first."""
        query = (
            sa.select(_T)
            .where(_T.c.recipient.in_(list(recipients)))
            .order_by(_T.c.id.desc())
            .limit(limit)
        )
        if unread_only:
            query = query.where(_T.c.read_at.is_(None))
        with self._store.read() as connection:
            return [_item(row) for row in connection.execute(query).mappings()]

    def mark_read(self, item_id: int, recipients: Sequence[str], principal: str) -> InboxItem:
        """Mark one of the caller's items read (again: a no-op).

        Raises:
            InboxItemNotFound: no such item addressed to any of ``recipients``.
        """
        mine = sa.and_(_T.c.id == item_id, _T.c.recipient.in_(list(recipients)))
        with self._store.write("notify-inbox") as connection:
            connection.execute(
                _T.update().where(mine, _T.c.read_at.is_(None)).values(read_at=self._clock())
            )
            row = connection.execute(sa.select(_T).where(mine)).mappings().first()
        if row is None:
            raise InboxItemNotFound(item_id, principal)
        return _item(row)


def _item(row: sa.RowMapping) -> InboxItem:
    return InboxItem(
        id=int(row["id"]),
        recipient=row["recipient"],
        event_id=int(row["event_id"]),
        event_type=row["event_type"],
        subject=row["subject"],
        title=row["title"],
        body=row["body"],
        created_at=row["created_at"],
        read_at=row["read_at"],
    )
