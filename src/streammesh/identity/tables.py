"""The identity tables: tokens (store migration ``0001``), accounts (migration ``0006``) and
web UI sessions (migration ``0011``)."""

from __future__ import annotations

import sqlalchemy as sa

from streammesh.store import UtcDateTime

metadata = sa.MetaData()

tokens = sa.Table(
    "identity_tokens",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("principal", sa.Text, nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    # sha256 of the secret: the secret itself is shown once and never stored.
    sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=True),
    sa.Column("revoked_at", UtcDateTime(), nullable=True),
)

accounts = sa.Table(
    "identity_accounts",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("team", sa.Text, nullable=True),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
)

sessions = sa.Table(
    "identity_sessions",
    metadata,
    # sha256 of the session id: the id itself travels only inside the sealed cookie.
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("token_id", sa.String(32), nullable=False, index=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
)
