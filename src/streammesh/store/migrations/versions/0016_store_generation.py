"""A store generation: one counter row that database triggers bump in every transaction that
inserts, updates or deletes a row of a table the data plane's per-request reads depend on
(products, teams and domains, accounts, tokens, governance policies, the registry's subjects
and schemas, access requests), so a server may keep those reads' answers while the counter
stays the same, whichever process (another replica, the CLI, the SDK, a worker) writes.

SQLite: row triggers (``AFTER INSERT/UPDATE/DELETE``; writers are serialized by the database
lock). PostgreSQL: deferred constraint triggers, so the counter row is locked only at commit
(a transaction takes no other lock after it: no deadlock through the counter), bumping once
per transaction; fired ``ALWAYS`` (also under ``session_replication_role = replica``), plus a
statement trigger for ``TRUNCATE``.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

TABLE = "store_generation"
WATCHED = (
    "mesh_products",
    "mesh_teams",
    "mesh_domains",
    "identity_accounts",
    "identity_tokens",
    "governance_policies",
    "registry_schemas",
    "registry_schema_references",
    "registry_versions",
    "registry_settings",
    "access_requests",
)
"""As of this migration; a later one that watches more tables adds their triggers."""

_BUMP = f"UPDATE {TABLE} SET generation = generation + 1 WHERE id = 1"
_FUNCTION = "streammesh_bump_store_generation"
_FLAG = "streammesh.store_generation_bumped"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("generation", sa.BigInteger, nullable=False),
        sa.CheckConstraint("id = 1", name="ck_store_generation_one_row"),
    )
    op.execute(f"INSERT INTO {TABLE} (id, generation) VALUES (1, 0)")
    if op.get_bind().dialect.name == "sqlite":
        for table in WATCHED:
            for event in ("insert", "update", "delete"):
                op.execute(
                    f"CREATE TRIGGER {table}_{event}_bumps_generation "
                    f"AFTER {event.upper()} ON {table} BEGIN {_BUMP}; END"
                )
        return
    # Once per transaction: the first watched row written at commit bumps it, the rest see
    # the transaction-local flag (reset when the transaction ends).
    op.execute(
        f"""
        CREATE FUNCTION {_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'TRUNCATE'
               OR coalesce(current_setting('{_FLAG}', true), '') <> 'on' THEN
                {_BUMP};
                PERFORM set_config('{_FLAG}', 'on', true);
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    for table in WATCHED:
        row_trigger, truncate_trigger = f"{table}_bumps_generation", f"{table}_truncate_bumps"
        op.execute(
            f"CREATE CONSTRAINT TRIGGER {row_trigger} AFTER INSERT OR UPDATE OR DELETE "
            f"ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            f"EXECUTE FUNCTION {_FUNCTION}()"
        )
        op.execute(
            f"CREATE TRIGGER {truncate_trigger} AFTER TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {_FUNCTION}()"
        )
        for trigger in (row_trigger, truncate_trigger):
            op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {trigger}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in WATCHED:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_{event}_bumps_generation")
    else:
        for table in WATCHED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_bumps_generation ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_truncate_bumps ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {_FUNCTION}()")
    op.drop_table(TABLE)
