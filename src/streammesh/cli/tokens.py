"""``streammesh token``: create, list and revoke API tokens.

Like other commands, these work in-process on the local mesh (as whoever can open its
directory or store URL: every token, recorded as made by ``cli:<user>``), so they work before
the server ever ran and when every token is lost; or, with ``--server``, through the server's
``/api/v1/tokens`` with a token of a role that may (a platform admin; a domain owner for its
own teams' principals; anyone for revoking its own). Creating and revoking is audited and
appears on ``_mesh.events``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from streammesh.cli.durations import DurationSyntaxError, parse_duration_ms
from streammesh.cli.mesh_connection import command_target, open_mesh
from streammesh.cli.options import JsonOption, MeshOption, ServerOption, StoreOption, TokenOption
from streammesh.cli.output import print_json, stdout_console
from streammesh.errors import ConfigError

if TYPE_CHECKING:
    from streammesh.identity import Role

ROLE_NAMES = ("platform-admin", "governance", "domain-owner", "member", "consumer")
"""The values of :class:`streammesh.identity.Role`, for the option's help and completion
(a test checks they match)."""

app = typer.Typer(
    help="API tokens: create them (the secret is shown once), list and revoke them.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _role(value: str) -> Role:
    from streammesh.identity import Role

    try:
        return Role(value.lower())
    except ValueError:
        raise typer.BadParameter(
            f"'{value}' is not a role; use one of {', '.join(r.value for r in Role)}",
            param_hint="'--role'",
        ) from None


def _expiry(expires_in: str | None) -> datetime | None:
    if expires_in is None:
        return None
    try:
        ms = parse_duration_ms(expires_in)
    except DurationSyntaxError as exc:
        raise ConfigError(f"--expires-in: {exc}") from None
    return None if ms is None else datetime.now(UTC) + timedelta(milliseconds=ms)


@app.command("create")
def create(
    ctx: typer.Context,
    role: Annotated[
        str,
        typer.Option(
            "--role",
            metavar="ROLE",
            help=f"What the token may do: {', '.join(ROLE_NAMES)}.",
        ),
    ],
    name: Annotated[
        str | None,
        typer.Option("--name", metavar="NAME", help="The principal (default: the role)."),
    ] = None,
    expires_in: Annotated[
        str | None,
        typer.Option(
            "--expires-in", metavar="DURATION", help="Lifetime, e.g. 30d or 12h (default: none)."
        ),
    ] = None,
    description: Annotated[
        str, typer.Option("--description", metavar="TEXT", help="What the token is for.")
    ] = "",
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Create a token and print its secret (only this once)."""
    checked = _role(role)
    expires_at = _expiry(expires_in)
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        issued = session.mesh.tokens.create(
            name or checked.value, checked, expires_at=expires_at, description=description
        )
    typer.echo(
        f"Created token {issued['id']} for '{issued['principal']}' ({issued['role']}). "
        "The secret is shown only this once:",
        err=True,
    )
    typer.echo(issued["secret"])


def _status(document: dict[str, Any]) -> str:
    if document["revoked_at"]:
        return "revoked"
    return "active" if document["active"] else "expired"


def _moment(text: str | None, default: str = "") -> str:
    return datetime.fromisoformat(text).strftime("%Y-%m-%d %H:%M") if text else default


@app.command("list")
def list_tokens(
    ctx: typer.Context,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """List tokens (never the secrets): every one locally, those the token may manage through
    a server."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        found = session.mesh.tokens.list()
    if as_json:
        print_json(found)
        return
    table = Table("id", "principal", "role", "created", "expires", "status", "description")
    for document in found:
        table.add_row(
            document["id"],
            document["principal"],
            document["role"],
            _moment(document["created_at"]),
            _moment(document["expires_at"], "never"),
            _status(document),
            document["description"],
        )
    stdout_console().print(table)


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    token_id: Annotated[
        str, typer.Argument(metavar="TOKEN_ID", help="The token's id ('streammesh token list').")
    ],
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Revoke a token: it is refused from its next request on, and its UI sessions end."""
    with open_mesh(command_target(ctx, mesh, store, server=server, token=token)) as session:
        revoked = session.mesh.tokens.revoke(token_id)
    if as_json:
        print_json(revoked)
        return
    stdout_console().print(
        f"revoked token {revoked['id']} of '{revoked['principal']}' ({revoked['role']}) "
        f"at {_moment(revoked['revoked_at'])}"
    )
