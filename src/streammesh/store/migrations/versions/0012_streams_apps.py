"""Stream applications: what each one runs and should be doing, and the processes running it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "streams_apps",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("sql", sa.Text, nullable=False),
        sa.Column("descriptor", sa.Text, nullable=True),
        sa.Column("principal", sa.String(255), nullable=True),
        sa.Column("placement", sa.String(16), nullable=False),
        sa.Column("desired", sa.String(16), nullable=False),
        sa.Column("epoch", sa.Integer, nullable=False),
        sa.Column("queries", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stopped_by", sa.String(255), nullable=True),
    )
    op.create_table(
        "streams_instances",
        sa.Column("app", sa.String(64), primary_key=True),
        sa.Column("instance", sa.String(64), primary_key=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("interval_s", sa.Float, nullable=False),
        sa.Column("progress", sa.Text, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("streams_instances")
    op.drop_table("streams_apps")
