"""``streammesh accounts``: the mesh's principals — users, and service accounts (one per
application, each belonging to a team). Teams are registered with ``streammesh teams``.

Like ``streammesh token``, these work in-process on the local mesh (as whoever can open it,
in any team), or with ``--server`` through the server's ``/api/v1/principals`` (a domain owner
creates accounts in its own teams only).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from streammesh.cli.mesh_connection import command_target, open_mesh
from streammesh.cli.options import JsonOption, MeshOption, ServerOption, StoreOption, TokenOption
from streammesh.cli.output import print_json, stdout_console

KIND_NAMES = ("user", "service-account")

app = typer.Typer(
    help="Principals: users and service accounts (one per application).",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="The principal, e.g. fraud-detector.")
    ],
    kind: Annotated[
        str,
        typer.Option("--kind", metavar="KIND", help=f"One of {', '.join(KIND_NAMES)}."),
    ],
    team: Annotated[
        str | None,
        typer.Option(
            "--team",
            metavar="TEAM",
            show_default=False,
            help="The registered team it belongs to (required for a service account).",
        ),
    ] = None,
    description: Annotated[
        str, typer.Option("--description", metavar="TEXT", help="Who or what it is.")
    ] = "",
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Create a user or a service account."""
    from streammesh.identity import AccountKind

    if kind not in KIND_NAMES:
        raise typer.BadParameter(
            f"'{kind}' is not a kind; use one of {', '.join(KIND_NAMES)}", param_hint="'--kind'"
        )
    target = command_target(ctx, mesh, store, server=server, token=token)
    with open_mesh(target) as session:
        account = session.mesh.accounts.create(
            name, AccountKind(kind), team=team, description=description
        )
    if as_json:
        print_json(account)
        return
    of = f" of team {account['team']}" if account["team"] else ""
    stdout_console().print(
        Text.assemble(f"created {account['kind']} ", (account["name"], "bold"), of)
    )


@app.command("list")
def list_accounts(
    ctx: typer.Context,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """List users, service accounts and teams."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        found = session.mesh.accounts.list()
    if as_json:
        print_json(found)
        return
    if not found:
        stdout_console().print(
            "No principals yet. 'streammesh accounts create NAME --kind user' creates one."
        )
        return
    table = Table("principal", "kind", "team", "description", box=None)
    for account in found:
        table.add_row(
            Text(account["name"], style="bold"),
            account["kind"],
            account["team"] or "",
            account["description"],
        )
    stdout_console().print(table)
