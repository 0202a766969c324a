"""``streammesh deprecate`` and ``streammesh retire``: the end of a data product's life.

A deprecated product leaves default search and takes no new consumers; it keeps serving the
ones it has until its sunset date. Retiring it deletes its topic, which is final, and is
allowed only when no consumer is active, unless ``--force``, which records who overrode it.
The rules (and minimum times between stages) are the control plane's; these commands only
carry the request and print the outcome.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.text import Text

from streammesh.cli.mesh_connection import command_target, open_mesh
from streammesh.cli.options import (
    JsonOption,
    MeshOption,
    ProductArgument,
    ServerOption,
    StoreOption,
    TokenOption,
)
from streammesh.cli.output import print_json, stdout_console


def _parse_sunset(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"'{value}' is not a date; write it as YYYY-MM-DD, e.g. 2027-06-30",
            param_hint="'--sunset'",
        ) from None


def deprecate(
    ctx: typer.Context,
    product: ProductArgument,
    reason: Annotated[
        str,
        typer.Option("--reason", metavar="TEXT", help="Why consumers should move off it."),
    ],
    sunset: Annotated[
        str,
        typer.Option(
            "--sunset", metavar="YYYY-MM-DD", help="The date after which it may be retired."
        ),
    ],
    replacement: Annotated[
        str | None,
        typer.Option(
            "--replacement",
            metavar="PRODUCT",
            show_default=False,
            help="The product consumers should move to, e.g. execution.stocktrades.v2.",
        ),
    ] = None,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Deprecate a published product: it leaves default search and takes no new consumers."""
    day = _parse_sunset(sunset)
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        record = session.mesh.deprecate(product, reason=reason, sunset=day, replacement=replacement)
    if as_json:
        print_json(record.document())
        return
    line = Text.assemble(
        ("deprecated ", "yellow"), (record.reference, "bold"), f": sunset {day.isoformat()}"
    )
    if replacement is not None:
        line.append(f", replaced by {replacement}")
    console = stdout_console()
    console.soft_wrap = True  # one line each, also in narrow CI logs
    console.print(line)
    console.print(
        Text(
            "Existing consumers keep reading; new ones are refused. Retire it after the sunset "
            f"with 'streammesh retire {record.reference}'.",
            style="dim",
        )
    )


def retire(
    ctx: typer.Context,
    product: ProductArgument,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Retire although consumers are still active; you are recorded as who forced it.",
        ),
    ] = False,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Retire a deprecated product and delete its topic; this is final."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        record = session.mesh.retire(product, force=force)
    if as_json:
        print_json(record.document())
        return
    line = Text.assemble(("retired ", "red"), (record.reference, "bold"))
    line.append(f": topic {record.topic} deleted")
    if record.forced_by is not None:
        line.append(f"; forced by {record.forced_by} although consumers were active")
    console = stdout_console()
    console.soft_wrap = True
    console.print(line)
