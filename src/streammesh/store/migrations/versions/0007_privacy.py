"""Privacy: wrapped data keys per entity (crypto-shredding), product secrets, token vault.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "privacy_data_keys",
        sa.Column("product", sa.Text, primary_key=True),
        sa.Column("entity_key", sa.LargeBinary, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("wrapped", sa.LargeBinary, nullable=True),
        sa.Column("kek_id", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("destroyed_by", sa.Text, nullable=True),
    )
    op.create_table(
        "privacy_product_keys",
        sa.Column("product", sa.Text, primary_key=True),
        sa.Column("wrapped", sa.LargeBinary, nullable=False),
        sa.Column("kek_id", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "privacy_token_vault",
        sa.Column("product", sa.Text, primary_key=True),
        sa.Column("token", sa.Text, primary_key=True),
        sa.Column("sealed", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("privacy_token_vault")
    op.drop_table("privacy_product_keys")
    op.drop_table("privacy_data_keys")
