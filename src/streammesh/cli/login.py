"""``streammesh login`` / ``logout``: keep an API token for a server, for the command line.

``login`` asks for the token without echoing it (or reads it from stdin when that is not a
terminal, so CI can pipe it), checks it against the server, and only then stores it (see
:mod:`streammesh.cli.credentials`); a refused token or a server that does not answer stores
nothing. Afterwards ``--server URL`` finds the token by itself. The token is never printed.

The check asks ``GET /api/v1/whoami``, which names the token's principal and role; a server
without that route (404) is checked with ``GET /registry/subjects`` instead, which proves
the token but cannot say whose it is.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import BaseModel, ConfigDict, ValidationError

from streammesh.cli.credentials import (
    credentials_path,
    load_credentials,
    normalise_server,
    remove_login,
    save_login,
)
from streammesh.cli.errors import CliError
from streammesh.cli.options import SERVER_ENV
from streammesh.errors import ConfigError
from streammesh.server import DEFAULT_HOST, DEFAULT_PORT

if TYPE_CHECKING:
    import httpx

WHOAMI_PATH = "/api/v1/whoami"
"""Names the caller; preferred, since it says who the token belongs to."""
FALLBACK_PATH = "/registry/subjects"
"""Any authenticated read proves a token; this one is served by every streammesh version."""
DEFAULT_SERVER = f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"
"""Where ``streammesh up`` listens by default."""
CHECK_TIMEOUT_S = 10.0


class LoginFailed(CliError):
    """The token could not be checked against the server, so nothing was stored."""


class TokenRefused(LoginFailed):
    """The server answered 401: the token is unknown, revoked or expired."""

    def __init__(self, server: str) -> None:
        self.server = server
        super().__init__(
            f"the token was refused by {server}: it is unknown, revoked or expired; "
            "nothing was stored (create one with 'streammesh token create' on the mesh)"
        )


class ServerUnreachable(LoginFailed):
    """No answer from the server, or an answer that is not a streammesh server's."""

    def __init__(self, server: str, reason: str) -> None:
        self.server = server
        self.reason = reason
        super().__init__(
            f"cannot check the token with {server}: {reason}; nothing was stored "
            "(check that 'streammesh up' runs there and the URL is right)"
        )


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a token speaks for, as far as the server says (``None``: it does not say)."""

    principal: str | None = None
    role: str | None = None


class _WhoAmIReply(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str
    role: str


def _read_token(given: str | None) -> str:
    if given is not None:
        token = given.strip()
    elif sys.stdin.isatty():
        token = str(typer.prompt("API token", hide_input=True, err=True)).strip()
    else:
        # Piped (CI): the first line is the token, as `echo $TOKEN | streammesh login` sends.
        token = sys.stdin.readline().strip()
    if not token:
        raise ConfigError("no token given: pass --token, type it when asked, or pipe it in")
    if not token.isascii() or not token.isprintable() or any(c.isspace() for c in token):
        # It would not fit in an Authorization header; say so without echoing it.
        raise ConfigError("the token contains spaces or control characters; copy it again")
    return token


def _get(client: httpx.Client, server: str, path: str) -> httpx.Response:
    import httpx

    try:
        return client.get(path)
    except httpx.TimeoutException:
        raise ServerUnreachable(server, f"no answer within {CHECK_TIMEOUT_S:g} s") from None
    except httpx.HTTPError as exc:
        raise ServerUnreachable(server, str(exc) or type(exc).__name__) from None


def _unexpected(server: str, path: str, response: httpx.Response) -> ServerUnreachable:
    return ServerUnreachable(server, f"GET {path} answered HTTP {response.status_code}")


def check_token(server: str, token: str) -> Identity:
    """Who ``token`` is on ``server``; raises unless the server accepts it.

    Raises:
        TokenRefused: the server answered 401.
        ServerUnreachable: no connection, a timeout, or an unexpected answer.
    """
    # Imported here: httpx takes a noticeable part of the CLI's start-up, and only login needs it.
    import httpx

    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    with httpx.Client(base_url=server, headers=headers, timeout=CHECK_TIMEOUT_S) as client:
        response = _get(client, server, WHOAMI_PATH)
        if response.status_code == HTTPStatus.UNAUTHORIZED:
            raise TokenRefused(server)
        if response.status_code == HTTPStatus.OK:
            try:
                reply = _WhoAmIReply.model_validate_json(response.content)
            except ValidationError:
                raise ServerUnreachable(
                    server, f"GET {WHOAMI_PATH} answered something that does not name a caller"
                ) from None
            return Identity(reply.name, reply.role)
        if response.status_code != HTTPStatus.NOT_FOUND:
            raise _unexpected(server, WHOAMI_PATH, response)
        # A server from before whoami: the token is proven, its owner stays unknown.
        response = _get(client, server, f"{FALLBACK_PATH}?limit=0")
        if response.status_code == HTTPStatus.UNAUTHORIZED:
            raise TokenRefused(server)
        if response.status_code != HTTPStatus.OK:
            raise _unexpected(server, FALLBACK_PATH, response)
        return Identity()


ServerArgument = Annotated[
    str | None,
    typer.Argument(
        metavar="[SERVER_URL]",
        envvar=SERVER_ENV,
        show_default=False,
        show_envvar=True,
        help="The server, e.g. http://127.0.0.1:8080 (default: the last one logged into, "
        f"else {DEFAULT_SERVER}).",
    ),
]


def _chosen_server(given: str | None) -> str:
    if given is not None:
        return normalise_server(given)
    return load_credentials().default_server or DEFAULT_SERVER


def login(
    server: ServerArgument = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            metavar="TOKEN",
            show_default=False,
            help="The API token (default: asked for without echo, or read from stdin when "
            "it is not a terminal). Other users can see command lines: prefer stdin.",
        ),
    ] = None,
) -> None:
    """Check an API token against a server and store it for later commands.

    Commands given --server URL then use it without --token. The token is stored in
    $XDG_CONFIG_HOME/streammesh/credentials.json (~/.config/streammesh/), readable by you only.
    """
    url = _chosen_server(server)
    secret = _read_token(token)
    identity = check_token(url, secret)
    save_login(url, secret)
    if identity.principal is None:
        typer.echo(f"Logged in to {url} (this server does not say whose token it is)")
    else:
        typer.echo(f"Logged in to {url} as {identity.principal} (role {identity.role})")


def logout(server: ServerArgument = None) -> None:
    """Forget the token stored for a server (the token itself stays valid on the server)."""
    url = normalise_server(server) if server is not None else load_credentials().default_server
    if url is None:
        typer.echo("Not logged in to any server")
        return
    if remove_login(url):
        typer.echo(f"Logged out of {url}; its token was removed from {credentials_path()}")
    else:
        typer.echo(f"Not logged in to {url}; nothing to remove")


__all__ = [
    "Identity",
    "LoginFailed",
    "ServerUnreachable",
    "TokenRefused",
    "check_token",
    "login",
    "logout",
]
