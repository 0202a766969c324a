"""Product catalog: entries with their facets, tags, and the full-text index.

SQLite gets an FTS5 table (``catalog_search``, rowid = entry id, prefix indexes for 2- and
3-letter prefixes so short prefix queries stay fast); PostgreSQL a weighted ``tsvector``
column on the entries with a GIN index.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "catalog_entries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("domain", sa.Text, nullable=False),
        sa.Column("owner_name", sa.Text, nullable=False),
        sa.Column("owner_email", sa.Text, nullable=False),
        sa.Column("team", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("quality", sa.String(32), nullable=False),
        sa.Column("sla_tier", sa.Integer, nullable=False),
        sa.Column("alignment", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("fields", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        *(
            # Written by the catalog right after the row, in the same transaction.
            [
                sa.Column(
                    "search_vector",
                    postgresql.TSVECTOR,
                    nullable=False,
                    server_default=sa.text("''::tsvector"),
                )
            ]
            if postgres
            else []
        ),
        sa.UniqueConstraint("name", "version", name="uq_catalog_entries_name_version"),
        # AUTOINCREMENT: an id is never reused, so a stale FTS row can never match a new entry.
        sqlite_autoincrement=True,
    )
    op.create_table(
        "catalog_tags",
        sa.Column(
            "entry_id",
            sa.Integer,
            sa.ForeignKey("catalog_entries.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("tag", sa.Text, primary_key=True),
    )
    op.create_index("ix_catalog_tags_tag", "catalog_tags", ["tag"])
    if postgres:
        op.create_index(
            "ix_catalog_entries_search_vector",
            "catalog_entries",
            ["search_vector"],
            postgresql_using="gin",
        )
    else:
        op.execute(
            "CREATE VIRTUAL TABLE catalog_search USING fts5("
            "name, tags, description, people, field_names, field_docs, "
            "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TABLE catalog_search")
    op.drop_table("catalog_tags")
    op.drop_table("catalog_entries")
