"""The privacy tables (created by the store migration ``0007``).

``privacy_data_keys``: one row per (product name, entity key, version) holding the data key
wrapped by the KMS; destroying (crypto-shredding) clears ``wrapped`` and stamps
``destroyed_at`` — the row stays so a destroyed key reads as "forgotten", not "unknown".
``privacy_product_keys``: one wrapped secret per product name, from which its tokenization and
vault keys are derived. ``privacy_token_vault``: token → the value it stands for, encrypted.
"""

from __future__ import annotations

import sqlalchemy as sa

from streammesh.store import UtcDateTime

metadata = sa.MetaData()

data_keys = sa.Table(
    "privacy_data_keys",
    metadata,
    sa.Column("product", sa.Text, primary_key=True),  # product name, across major versions
    sa.Column("entity_key", sa.LargeBinary, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("wrapped", sa.LargeBinary, nullable=True),  # NULL once destroyed
    sa.Column("kek_id", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("destroyed_at", UtcDateTime(), nullable=True),
    sa.Column("destroyed_by", sa.Text, nullable=True),
)

product_keys = sa.Table(
    "privacy_product_keys",
    metadata,
    sa.Column("product", sa.Text, primary_key=True),
    sa.Column("wrapped", sa.LargeBinary, nullable=False),
    sa.Column("kek_id", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

token_vault = sa.Table(
    "privacy_token_vault",
    metadata,
    sa.Column("product", sa.Text, primary_key=True),
    sa.Column("token", sa.Text, primary_key=True),
    sa.Column("sealed", sa.LargeBinary, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)
