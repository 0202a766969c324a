"""The stream-application tables (created by the store migration ``0012``).

``streams_apps`` holds one row per application: its script, principal, placement, desired
state, epoch and its queries as deployed (JSON). ``streams_instances`` holds one row per
process running one, replaced by each heartbeat and removed when the process leaves.
"""

from __future__ import annotations

import sqlalchemy as sa

from streammesh.store import UtcDateTime

metadata = sa.MetaData()

apps = sa.Table(
    "streams_apps",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("sql", sa.Text, nullable=False),
    sa.Column("descriptor", sa.Text, nullable=True),
    sa.Column("principal", sa.String(255), nullable=True),
    sa.Column("placement", sa.String(16), nullable=False),
    sa.Column("desired", sa.String(16), nullable=False),
    sa.Column("epoch", sa.Integer, nullable=False),
    sa.Column("queries", sa.Text, nullable=False),
    sa.Column("created_by", sa.String(255), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("stopped_by", sa.String(255), nullable=True),
)

instances = sa.Table(
    "streams_instances",
    metadata,
    sa.Column("app", sa.String(64), primary_key=True),
    sa.Column("instance", sa.String(64), primary_key=True),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("heartbeat_at", UtcDateTime(), nullable=False),
    sa.Column("interval_s", sa.Float, nullable=False),
    sa.Column("progress", sa.Text, nullable=False),
    sa.Column("error", sa.Text, nullable=True),
)
