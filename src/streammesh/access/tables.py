"""The access table (created by the store migration ``0006``): one row per access request;
an approved row is the grant (its id is the grant id)."""

from __future__ import annotations

import sqlalchemy as sa

from streammesh.store import UtcDateTime

metadata = sa.MetaData()

requests = sa.Table(
    "access_requests",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("principal", sa.Text, nullable=False),
    sa.Column("product", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("purpose", sa.Text, nullable=False),
    sa.Column("classified", sa.Boolean, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("requested_at", UtcDateTime(), nullable=False),
    sa.Column("requested_by", sa.Text, nullable=False),
    sa.Column("decided_at", UtcDateTime(), nullable=True),
    sa.Column("decided_by", sa.Text, nullable=True),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("expires_at", UtcDateTime(), nullable=True),
    sa.Column("ended_at", UtcDateTime(), nullable=True),
    sa.Column("ended_by", sa.Text, nullable=True),
)
