"""The audit table (created by the store migration ``0003``).

One row per change, written in the transaction of the change itself (the outbox), with
``relayed_at`` set once the event relay has appended it to ``_mesh.events``. A partial index
over the rows not yet relayed keeps the relay's scan small however long the history grows.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

events = sa.Table(
    "audit_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("before", sa.Text, nullable=True),  # JSON object, see streammesh.audit.state
    sa.Column("after", sa.Text, nullable=True),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("relayed_at", sa.DateTime(timezone=True), nullable=True),
)
