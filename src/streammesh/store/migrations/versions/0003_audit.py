"""Audit log: one row per control-plane change, and the outbox of the ``_mesh.events`` stream.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_UNRELAYED = sa.text("relayed_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("before", sa.Text, nullable=True),
        sa.Column("after", sa.Text, nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("relayed_at", sa.DateTime(timezone=True), nullable=True),
        # AUTOINCREMENT: an audit id is never handed out twice; consumers de-duplicate by it.
        sqlite_autoincrement=True,
    )
    op.create_index("ix_audit_events_subject", "audit_events", ["subject", "id"])
    op.create_index("ix_audit_events_action", "audit_events", ["action", "id"])
    op.create_index(
        "ix_audit_events_unrelayed",
        "audit_events",
        ["id"],
        sqlite_where=_UNRELAYED,
        postgresql_where=_UNRELAYED,
    )


def downgrade() -> None:
    op.drop_index("ix_audit_events_unrelayed", "audit_events")
    op.drop_index("ix_audit_events_action", "audit_events")
    op.drop_index("ix_audit_events_subject", "audit_events")
    op.drop_table("audit_events")
