"""The control plane's tables (created by the store migration ``0004``).

``mesh_domains`` and ``mesh_teams`` are the registered domains and teams; ``mesh_products``
one row per product version as ``apply`` and the lifecycle commands left it (the descriptor
that was applied, as JSON, and the lifecycle state beside it); ``mesh_applications`` the
producing and consuming applications registered with a product version, with when they were
last seen (what "active consumers" means).
"""

from __future__ import annotations

import sqlalchemy as sa

from streammesh.store import UtcDateTime

metadata = sa.MetaData()

domains = sa.Table(
    "mesh_domains",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
)

teams = sa.Table(
    "mesh_teams",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("domain", sa.Text, nullable=True),
    sa.Column("email", sa.Text, nullable=True),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
)

products = sa.Table(
    "mesh_products",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("domain", sa.Text, nullable=False),
    sa.Column("team", sa.Text, nullable=False),
    sa.Column("topic", sa.Text, nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("status_since", UtcDateTime(), nullable=False),
    sa.Column("deprecation", sa.Text, nullable=True),  # JSON of Deprecation
    sa.Column("forced_by", sa.Text, nullable=True),
    sa.Column("replaced_by", sa.Text, nullable=True),  # "<name>.v<N>"
    sa.Column("descriptor", sa.Text, nullable=False),  # JSON of the applied Descriptor
    sa.Column("schema_id", sa.Integer, nullable=False),
    sa.Column("schema_version", sa.Integer, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

applications = sa.Table(
    "mesh_applications",
    metadata,
    sa.Column("product", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("role", sa.String(16), primary_key=True),
    sa.Column("consumer_group", sa.Text, nullable=True),
    sa.Column("principal", sa.Text, nullable=False),
    sa.Column("first_seen", UtcDateTime(), nullable=False),
    sa.Column("last_seen", UtcDateTime(), nullable=False),
)
