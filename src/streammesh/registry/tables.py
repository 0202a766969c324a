"""The registry's tables (created by the store's migration ``0001``)."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

schemas = sa.Table(
    "registry_schemas",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("schema_type", sa.String(16), nullable=False),
    # sha256 of type + fingerprint + references: what makes two registrations one schema id.
    sa.Column("identity", sa.String(64), nullable=False, unique=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("schema_text", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

schema_references = sa.Table(
    "registry_schema_references",
    metadata,
    sa.Column("schema_id", sa.Integer, sa.ForeignKey("registry_schemas.id"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
)

versions = sa.Table(
    "registry_versions",
    metadata,
    sa.Column("subject", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("schema_id", sa.Integer, sa.ForeignKey("registry_schemas.id"), nullable=False),
    sa.Column("deleted", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

settings = sa.Table(
    "registry_settings",
    metadata,
    sa.Column("subject", sa.Text, primary_key=True),
    sa.Column("compatibility", sa.String(32), nullable=True),
    sa.Column("mode", sa.String(16), nullable=True),
)

GLOBAL_SCOPE = ""
"""The ``settings.subject`` of the registry-wide compatibility level and mode."""
