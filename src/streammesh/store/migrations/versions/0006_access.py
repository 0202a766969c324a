"""Principals, access requests and grants.

``identity_accounts`` holds the user and service-account principals (teams are the control
plane's ``mesh_teams``); ``access_requests`` one row per access request, which becomes the
grant when approved (the grant id is the request id).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_accounts",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("team", sa.Text, nullable=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
    )
    op.create_table(
        "access_requests",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("principal", sa.Text, nullable=False),
        sa.Column("product", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("classified", sa.Boolean, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.Text, nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Text, nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.Text, nullable=True),
    )
    op.create_index("ix_access_requests_grantee", "access_requests", ["principal", "product"])
    op.create_index("ix_access_requests_state", "access_requests", ["state"])


def downgrade() -> None:
    op.drop_index("ix_access_requests_state", "access_requests")
    op.drop_index("ix_access_requests_grantee", "access_requests")
    op.drop_table("access_requests")
    op.drop_table("identity_accounts")
