"""``streammesh domains`` and ``streammesh teams``: who owns the mesh's data products.

``apply`` registers a product's domain and team the first time it sees them; these commands
list them and register (or describe again) one ahead of its first product.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from streammesh.cli.mesh_connection import command_target, open_mesh
from streammesh.cli.options import JsonOption, MeshOption, ServerOption, StoreOption, TokenOption
from streammesh.cli.output import print_json, stdout_console

_CONTEXT = {"help_option_names": ["-h", "--help"]}
domains_app = typer.Typer(
    help="List and register domains.", invoke_without_command=True, context_settings=_CONTEXT
)
teams_app = typer.Typer(
    help="List and register teams.", invoke_without_command=True, context_settings=_CONTEXT
)

DescriptionOption = Annotated[
    str | None,
    typer.Option("--description", metavar="TEXT", show_default=False, help="What it is."),
]


@domains_app.callback()
@teams_app.callback()
def _group(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit()


@domains_app.command("list")
def list_domains(
    ctx: typer.Context,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """List the registered domains."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        found = session.mesh.domains()
    if as_json:
        print_json([domain.document() for domain in found])
        return
    if not found:
        stdout_console().print("No domains yet. 'streammesh domains create NAME' registers one.")
        return
    table = Table("domain", "description", "created", "by", box=None)
    for domain in found:
        table.add_row(
            Text(domain.name, style="bold"),
            domain.description or "",
            f"{domain.created_at:%Y-%m-%d}",
            domain.created_by,
        )
    stdout_console().print(table)


@domains_app.command("create")
def create_domain(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Domain name, e.g. execution.")],
    description: DescriptionOption = None,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Register a domain (again: update its description)."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        domain = session.mesh.register_domain(name, description=description)
    if as_json:
        print_json(domain.document())
    else:
        stdout_console().print(Text.assemble("registered domain ", (domain.name, "bold")))


@teams_app.command("list")
def list_teams(
    ctx: typer.Context,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """List the registered teams."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        found = session.mesh.teams()
    if as_json:
        print_json([team.document() for team in found])
        return
    if not found:
        stdout_console().print("No teams yet. 'streammesh teams create NAME' registers one.")
        return
    table = Table("team", "domain", "email", "description", box=None)
    for team in found:
        table.add_row(
            Text(team.name, style="bold"),
            team.domain or "",
            team.email or "",
            team.description or "",
        )
    stdout_console().print(table)


@teams_app.command("create")
def create_team(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Team name, e.g. trading-platform.")],
    domain: Annotated[
        str | None,
        typer.Option(
            "--domain", metavar="DOMAIN", show_default=False, help="The (registered) domain."
        ),
    ] = None,
    email: Annotated[
        str | None,
        typer.Option("--email", metavar="EMAIL", show_default=False, help="How to reach it."),
    ] = None,
    description: DescriptionOption = None,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Register a team (again: update it)."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        team = session.mesh.register_team(name, domain=domain, email=email, description=description)
    if as_json:
        print_json(team.document())
    else:
        of = f" of domain {team.domain}" if team.domain else ""
        stdout_console().print(Text.assemble("registered team ", (team.name, "bold"), of))
