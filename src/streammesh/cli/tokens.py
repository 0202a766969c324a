"""``streammesh token``: create and list API tokens, directly in the mesh's metadata store.

These work on the store itself (as whoever can read the mesh directory or the store URL),
not through the server, so they also work before the server ever ran and when every token
is lost. The identity and store packages are imported inside the commands: they bring
SQLAlchemy, which the other commands do not need at startup.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from streammesh.cli.durations import DurationSyntaxError, parse_duration_ms
from streammesh.cli.output import print_json, stdout_console
from streammesh.cli.up import MeshOption, StoreOption, server_settings
from streammesh.errors import ConfigError

if TYPE_CHECKING:
    from streammesh.identity import Role, TokenInfo

ROLE_NAMES = ("platform-admin", "governance", "domain-owner", "member", "consumer")
"""The values of :class:`streammesh.identity.Role`, for the option's help and completion
(a test checks they match)."""

app = typer.Typer(
    help="API tokens: create them (the secret is shown once) and list them.",
    no_args_is_help=True,
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
) -> None:
    """Create a token and print its secret (only this once)."""
    from streammesh.identity import TokenStore
    from streammesh.store import open_store

    checked = _role(role)
    settings = server_settings(mesh, store)
    expires_at = _expiry(expires_in)
    with open_store(settings.resolved_store_url) as metadata:
        issued = TokenStore(metadata).create(
            name or checked.value, checked, expires_at=expires_at, description=description
        )
    typer.echo(
        f"Created token {issued.token_id} for '{issued.principal}' ({issued.role.value}). "
        "The secret is shown only this once:",
        err=True,
    )
    typer.echo(issued.secret)


def _json(info: TokenInfo) -> dict[str, object]:
    def moment(value: datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "id": info.token_id,
        "principal": info.principal,
        "role": info.role.value,
        "description": info.description,
        "created_at": moment(info.created_at),
        "expires_at": moment(info.expires_at),
        "revoked_at": moment(info.revoked_at),
        "active": info.active(),
    }


@app.command("list")
def list_tokens(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
) -> None:
    """List every token (never the secrets)."""
    from streammesh.identity import TokenStore
    from streammesh.store import open_store

    settings = server_settings(mesh, store)
    with open_store(settings.resolved_store_url) as metadata:
        found = TokenStore(metadata).list()
    if as_json:
        print_json([_json(info) for info in found])
        return
    table = Table("id", "principal", "role", "created", "expires", "status", "description")
    for info in found:
        status = "revoked" if info.revoked_at else ("active" if info.active() else "expired")
        table.add_row(
            info.token_id,
            info.principal,
            info.role.value,
            info.created_at.strftime("%Y-%m-%d %H:%M"),
            info.expires_at.strftime("%Y-%m-%d %H:%M") if info.expires_at else "never",
            status,
            info.description,
        )
    stdout_console().print(table)
