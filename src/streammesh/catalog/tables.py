"""The catalog's tables (created by the store migration ``0002``).

``catalog_entries`` holds one row per product version with every facet as a column;
``catalog_tags`` one row per tag, for tag filters and tag counts. The full-text index is per
database: SQLite an FTS5 table ``catalog_search`` whose rowid is the entry's id, PostgreSQL a
weighted ``tsvector`` column ``catalog_entries.search_vector`` (not declared here, because SQLite
has no such column) with a GIN index.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

entries = sa.Table(
    "catalog_entries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("domain", sa.Text, nullable=False),
    sa.Column("owner_name", sa.Text, nullable=False),
    sa.Column("owner_email", sa.Text, nullable=False),
    sa.Column("team", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("tags", sa.Text, nullable=False),  # space-separated slugs, in declared order
    sa.Column("quality", sa.String(32), nullable=False),
    sa.Column("sla_tier", sa.Integer, nullable=False),
    sa.Column("alignment", sa.String(32), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("topic", sa.Text, nullable=False),
    sa.Column("fields", sa.Text, nullable=False),  # JSON: [[path, type, doc], ...]
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("name", "version", name="uq_catalog_entries_name_version"),
)

tags = sa.Table(
    "catalog_tags",
    metadata,
    sa.Column(
        "entry_id",
        sa.Integer,
        sa.ForeignKey("catalog_entries.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("tag", sa.Text, primary_key=True),
)

FTS_TABLE = "catalog_search"
FTS_COLUMNS = ("name", "tags", "description", "people", "field_names", "field_docs")
"""The columns of the SQLite FTS5 table, in order (also the order of the BM25 weights)."""
