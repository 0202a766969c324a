"""Lineage: OpenLineage jobs and the datasets their runs read and wrote.

``lineage_jobs`` holds one row per OpenLineage job (namespace, name) with its last run;
``lineage_job_datasets`` one row per dataset a job's runs read (``input``) or wrote
(``output``), with when that was first and last seen. Registered applications, grants and
declared upstreams are read from the control plane's and access tables, not copied here.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lineage_jobs",
        sa.Column("namespace", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("last_run_id", sa.String(64), nullable=False),
        sa.Column("last_state", sa.String(16), nullable=False),
        sa.Column("producer", sa.Text, nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("runs", sa.Integer, nullable=False),
    )
    op.create_table(
        "lineage_job_datasets",
        sa.Column("job_namespace", sa.Text, primary_key=True),
        sa.Column("job_name", sa.Text, primary_key=True),
        sa.Column("direction", sa.String(8), primary_key=True),
        sa.Column("namespace", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("lineage_job_datasets")
    op.drop_table("lineage_jobs")
