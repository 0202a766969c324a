"""The lineage tables (created by the store migration ``0008``): OpenLineage jobs and the
datasets their runs read and wrote."""

from __future__ import annotations

import sqlalchemy as sa

from streammesh.store import UtcDateTime

metadata = sa.MetaData()

jobs = sa.Table(
    "lineage_jobs",
    metadata,
    sa.Column("namespace", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("last_run_id", sa.String(64), nullable=False),
    sa.Column("last_state", sa.String(16), nullable=False),
    sa.Column("producer", sa.Text, nullable=False),
    sa.Column("first_seen", UtcDateTime(), nullable=False),
    sa.Column("last_seen", UtcDateTime(), nullable=False),
    sa.Column("runs", sa.Integer, nullable=False),
)

job_datasets = sa.Table(
    "lineage_job_datasets",
    metadata,
    sa.Column("job_namespace", sa.Text, primary_key=True),
    sa.Column("job_name", sa.Text, primary_key=True),
    sa.Column("direction", sa.String(8), primary_key=True),  # "input" | "output"
    sa.Column("namespace", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("first_seen", UtcDateTime(), nullable=False),
    sa.Column("last_seen", UtcDateTime(), nullable=False),
)
