"""``streammesh accounts``: the mesh's principals — users, and service accounts (one per
application, each belonging to a team). Teams are registered with ``streammesh teams``.

Like ``streammesh token``, these work in-process on the mesh's store (as whoever can open it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from streammesh.cli.mesh_connection import MeshTarget, cli_actor, command_target
from streammesh.cli.options import JsonOption, MeshOption, StoreOption
from streammesh.cli.output import print_json, stdout_console

if TYPE_CHECKING:
    from streammesh.access import AccessService

KIND_NAMES = ("user", "service-account")

app = typer.Typer(
    help="Principals: users and service accounts (one per application).",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@contextmanager
def open_access(target: MeshTarget) -> Iterator[AccessService]:
    """The access service of the mesh ``target`` names, open for the ``with`` block."""
    from streammesh.access import AccessService
    from streammesh.runtime import MeshRuntime

    config = target.config()
    with MeshRuntime.open(config) as mesh:
        yield AccessService(mesh.store, mesh.plane, acls=mesh.acls)


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
) -> None:
    """Create a user or a service account."""
    from streammesh.identity import AccountKind

    if kind not in KIND_NAMES:
        raise typer.BadParameter(
            f"'{kind}' is not a kind; use one of {', '.join(KIND_NAMES)}", param_hint="'--kind'"
        )
    with open_access(command_target(ctx, mesh, store)) as access:
        account = access.create_account(
            name, AccountKind(kind), team=team, description=description, actor=cli_actor()
        )
    if as_json:
        print_json(account.document())
        return
    of = f" of team {account.team}" if account.team else ""
    stdout_console().print(
        Text.assemble(f"created {account.kind.value} ", (account.name, "bold"), of)
    )


@app.command("list")
def list_accounts(
    ctx: typer.Context,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
) -> None:
    """List users, service accounts and teams."""
    with open_access(command_target(ctx, mesh, store)) as access:
        found = access.accounts.list()
    if as_json:
        print_json([account.document() for account in found])
        return
    if not found:
        stdout_console().print(
            "No principals yet. 'streammesh accounts create NAME --kind user' creates one."
        )
        return
    table = Table("principal", "kind", "team", "description", box=None)
    for account in found:
        table.add_row(
            Text(account.name, style="bold"),
            account.kind.value,
            account.team or "",
            account.description,
        )
    stdout_console().print(table)
