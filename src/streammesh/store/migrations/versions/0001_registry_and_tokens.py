"""Schema registry (schemas, references, subject versions, per-subject settings) and API tokens.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registry_schemas",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("schema_type", sa.String(16), nullable=False),
        sa.Column("identity", sa.String(64), nullable=False, unique=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("schema_text", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        # AUTOINCREMENT: SQLite must never hand out an id again, even that of a deleted row.
        sqlite_autoincrement=True,
    )
    op.create_table(
        "registry_schema_references",
        sa.Column(
            "schema_id",
            sa.Integer,
            sa.ForeignKey("registry_schemas.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index(
        "ix_registry_schema_references_target",
        "registry_schema_references",
        ["subject", "version"],
    )
    op.create_table(
        "registry_versions",
        sa.Column("subject", sa.Text, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("schema_id", sa.Integer, sa.ForeignKey("registry_schemas.id"), nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False, default=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_registry_versions_schema_id", "registry_versions", ["schema_id"])
    op.create_table(
        "registry_settings",
        # "" is the global scope (no subject has an empty name).
        sa.Column("subject", sa.Text, primary_key=True),
        sa.Column("compatibility", sa.String(32), nullable=True),
        sa.Column("mode", sa.String(16), nullable=True),
    )
    op.create_table(
        "identity_tokens",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("principal", sa.Text, nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("identity_tokens")
    op.drop_table("registry_settings")
    op.drop_index("ix_registry_versions_schema_id", "registry_versions")
    op.drop_table("registry_versions")
    op.drop_index("ix_registry_schema_references_target", "registry_schema_references")
    op.drop_table("registry_schema_references")
    op.drop_table("registry_schemas")
