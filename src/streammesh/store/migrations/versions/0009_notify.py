"""Notifications: subscriptions, deliveries, dead letters and the inbox.

``notify_subscriptions`` holds who wants which events where; ``notify_deliveries`` one row per
(event, subscription or contact, channel) — the record that makes a redelivered event a no-op,
the retry schedule, and (state ``dead``) the dead-letter list; ``notify_inbox`` the in-app
inbox, one row per (recipient, event).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notify_subscriptions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("subscriber", sa.Text, nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("target", sa.Text, nullable=True),
        sa.Column("events", sa.Text, nullable=False),
        sa.Column("webhook_url", sa.Text, nullable=True),
        sa.Column("webhook_secret", sa.Text, nullable=True),
        sa.Column("email", sa.Text, nullable=True),
        sa.Column("inbox", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
    )
    op.create_index("ix_notify_subscriptions_subscriber", "notify_subscriptions", ["subscriber"])
    op.create_table(
        "notify_deliveries",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("event_id", sa.BigInteger, nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("secret", sa.Text, nullable=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("event_id", "target", "channel", name="uq_notify_deliveries_once"),
    )
    op.create_index("ix_notify_deliveries_due", "notify_deliveries", ["state", "next_attempt_at"])
    op.create_table(
        "notify_inbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("event_id", sa.BigInteger, nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("recipient", "event_id", name="uq_notify_inbox_once"),
    )


def downgrade() -> None:
    op.drop_table("notify_inbox")
    op.drop_index("ix_notify_deliveries_due", "notify_deliveries")
    op.drop_table("notify_deliveries")
    op.drop_index("ix_notify_subscriptions_subscriber", "notify_subscriptions")
    op.drop_table("notify_subscriptions")
