"""Governance's tables (created by the store migration ``0005``).

``governance_policies`` keeps every version of every policy: scope ``''`` is the global
policy, any other scope a domain's; the highest version of a scope is in force.
``governance_proposals`` holds the proposals behind rules, with their status history as JSON.
"""

from __future__ import annotations

import sqlalchemy as sa

from streammesh.store import UtcDateTime

metadata = sa.MetaData()

policies = sa.Table(
    "governance_policies",
    metadata,
    sa.Column("scope", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("document", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
)

proposals = sa.Table(
    "governance_proposals",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("rules", sa.Text, nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("history", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sqlite_autoincrement=True,
)
