"""Monitoring: consumer-group lag sampled by the SLO checker, one value per group, product
version and minute, for the product page's lag-over-time chart.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "observe_lag_samples",
        sa.Column("consumer_group", sa.String(255), primary_key=True),
        sa.Column("product", sa.String(255), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("minute", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("lag", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("observe_lag_samples")
