"""``streammesh migrate``: bring the metadata store's tables to this version's schema, once.

Every process that opens a mesh migrates it when it has to (two starting together do not
both migrate: the second waits and finds the work done). With several replicas it is
clearer to migrate once, before starting them, and to start them with ``up --no-migrate``,
which refuses a store that is not at this version's schema instead of changing it.
"""

from __future__ import annotations

import typer

from streammesh.cli.options import MeshOption, StoreOption
from streammesh.config import MeshConfig


def migrate(mesh: MeshOption = None, store: StoreOption = None) -> None:
    """Apply the metadata store's pending database migrations and print its revision."""
    from streammesh.store import StoreNotMigrated, open_store, schema_revision

    config = MeshConfig.load(mesh, store_url=store)
    if config.store_url.startswith("sqlite:"):
        config.home.mkdir(parents=True, exist_ok=True)
    try:
        with open_store(config.store_url, migrate=False) as opened:
            typer.echo(
                f"The metadata store {opened.url} is already at schema revision "
                f"{schema_revision(opened)}; nothing to do."
            )
            return
    except StoreNotMigrated as exc:
        if exc.newer:  # never downgrade: this version cannot use that schema
            raise
        before = exc.current
    with open_store(config.store_url) as opened:
        after = schema_revision(opened)
        typer.echo(
            f"Migrated the metadata store {opened.url} from schema revision "
            f"{before or 'none (empty)'} to {after}."
        )
