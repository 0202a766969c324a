"""The connector tables (created by the store migration ``0013``).

``connect_connectors`` holds one row per connector: its definition as written (YAML with
``${VAR}`` references unsubstituted: never a credential), kind, role, principal, placement,
desired state and restart generation. ``connect_instances`` holds one row per process (or
server thread) running one, replaced by each heartbeat and removed when it leaves.
"""

from __future__ import annotations

import sqlalchemy as sa

from streammesh.store import UtcDateTime

metadata = sa.MetaData()

connectors = sa.Table(
    "connect_connectors",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("kind", sa.String(100), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("principal", sa.String(255), nullable=False),
    sa.Column("definition", sa.Text, nullable=False),
    sa.Column("placement", sa.String(16), nullable=False),
    sa.Column("desired", sa.String(16), nullable=False),
    sa.Column("generation", sa.Integer, nullable=False),
    sa.Column("created_by", sa.String(255), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("paused_by", sa.String(255), nullable=True),
)

instances = sa.Table(
    "connect_instances",
    metadata,
    sa.Column("connector", sa.String(100), primary_key=True),
    sa.Column("instance", sa.String(100), primary_key=True),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("placement", sa.String(16), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("heartbeat_at", UtcDateTime(), nullable=False),
    sa.Column("interval_s", sa.Float, nullable=False),
    sa.Column("progress", sa.Text, nullable=False),
    sa.Column("error", sa.Text, nullable=True),
)
