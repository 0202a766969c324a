"""Control plane: registered domains and teams, product versions with their lifecycle state,
and the applications that produce to or consume from them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mesh_domains",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
    )
    op.create_table(
        "mesh_teams",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("domain", sa.Text, nullable=True),
        sa.Column("email", sa.Text, nullable=True),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
    )
    op.create_table(
        "mesh_products",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("domain", sa.Text, nullable=False),
        sa.Column("team", sa.Text, nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("status_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deprecation", sa.Text, nullable=True),
        sa.Column("forced_by", sa.Text, nullable=True),
        sa.Column("replaced_by", sa.Text, nullable=True),
        sa.Column("descriptor", sa.Text, nullable=False),
        sa.Column("schema_id", sa.Integer, nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_mesh_products_domain", "mesh_products", ["domain"])
    op.create_table(
        "mesh_applications",
        sa.Column("product", sa.Text, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("role", sa.String(16), primary_key=True),
        sa.Column("consumer_group", sa.Text, nullable=True),
        sa.Column("principal", sa.Text, nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("mesh_applications")
    op.drop_index("ix_mesh_products_domain", "mesh_products")
    op.drop_table("mesh_products")
    op.drop_table("mesh_teams")
    op.drop_table("mesh_domains")
