"""The tokens ``streammesh login`` keeps for the command line, one per server.

They live in ``$XDG_CONFIG_HOME/streammesh/credentials.json`` (``~/.config/streammesh/``
when the variable is unset), readable by their owner only: the directory is made 0700 and
the file 0600, and the file is replaced atomically so a crash never leaves half of it. A
server is known by its URL without a trailing slash, so ``http://h:8080/`` and
``http://h:8080`` are one login. The last server logged into is the default.

Other commands reuse this module's small API::

    credentials = load_credentials()
    token = credentials.token_for("http://127.0.0.1:8080")

Tokens are never printed: :class:`Login` leaves its token out of ``repr``.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, ValidationError

from streammesh.errors import ConfigError

CONFIG_HOME_ENV = "XDG_CONFIG_HOME"
"""Where per-user configuration lives (the XDG Base Directory convention)."""

CREDENTIALS_FILE_NAME = "credentials.json"
_DIRECTORY_MODE = 0o700
_FILE_MODE = 0o600


class CredentialsFileError(ConfigError):
    """The credentials file exists but cannot be read or written as streammesh's."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(
            f"the credentials file '{path}' cannot be used: {reason}; fix or delete it, "
            "then run 'streammesh login' again"
        )


class InvalidServerUrl(ConfigError):
    """A server URL that is not an ``http(s)://host[:port]`` address."""

    def __init__(self, url: str) -> None:
        self.url = url
        super().__init__(
            f"'{url}' is not a server URL; give one like 'http://127.0.0.1:8080' "
            "(the address 'streammesh up' prints)"
        )


def normalise_server(url: str) -> str:
    """``url`` as logins are keyed: trimmed, without trailing slashes.

    Raises:
        InvalidServerUrl: not an ``http://`` or ``https://`` URL with a host.
    """
    cleaned = url.strip().rstrip("/")
    try:
        parts = urlsplit(cleaned)
    except ValueError:
        raise InvalidServerUrl(url) from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidServerUrl(url)
    return cleaned


def credentials_path() -> Path:
    """The credentials file of the current user (it may not exist yet)."""
    config_home = os.environ.get(CONFIG_HOME_ENV)
    # XDG says a relative value is invalid and must be ignored.
    base = Path(config_home) if config_home and os.path.isabs(config_home) else None
    if base is None:
        base = Path.home() / ".config"
    return base / "streammesh" / CREDENTIALS_FILE_NAME


@dataclass(frozen=True, slots=True)
class Login:
    """One stored login: a server and the token the CLI uses for it."""

    server: str
    token: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Credentials:
    """Every stored login, and which server is the default.

    Attributes:
        logins: one per server, in the order they were first stored.
        default_server: the server logged into last, or ``None`` when there is no login.
    """

    logins: tuple[Login, ...] = ()
    default_server: str | None = None

    def token_for(self, server: str) -> str | None:
        """The stored token for ``server`` (any trailing slash ignored), or ``None``."""
        key = server.strip().rstrip("/")
        for login in self.logins:
            if login.server == key:
                return login.token
        return None

    def with_login(self, server: str, token: str) -> Credentials:
        """These credentials with ``server``'s token set, and ``server`` the default."""
        key = normalise_server(server)
        kept = tuple(Login(key, token) if login.server == key else login for login in self.logins)
        if all(login.server != key for login in kept):
            kept = (*kept, Login(key, token))
        return Credentials(kept, key)

    def without_login(self, server: str) -> Credentials:
        """These credentials without ``server``; the default moves to the latest remaining."""
        key = server.strip().rstrip("/")
        kept = tuple(login for login in self.logins if login.server != key)
        default = self.default_server
        if default == key or default not in {login.server for login in kept}:
            default = kept[-1].server if kept else None
        return Credentials(kept, default)


class _LoginFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    server: str
    token: str


class _CredentialsFile(BaseModel):
    """The file's JSON shape (it is read from disk, so it is checked like any input)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    default: str | None = None
    logins: list[_LoginFile] = []


def load_credentials(path: Path | None = None) -> Credentials:
    """The stored logins (none when the file does not exist).

    Args:
        path: the file to read; default :func:`credentials_path`.

    Raises:
        CredentialsFileError: the file exists but is not readable or not streammesh's JSON.
    """
    path = path if path is not None else credentials_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Credentials()
    except OSError as exc:
        raise CredentialsFileError(path, exc.strerror or str(exc)) from None
    try:
        parsed = _CredentialsFile.model_validate_json(raw)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "the document"
        raise CredentialsFileError(path, f"{where}: {problem['msg']}") from None
    logins = tuple(Login(entry.server.rstrip("/"), entry.token) for entry in parsed.logins)
    default = parsed.default.rstrip("/") if parsed.default else None
    return Credentials(logins, default)


def _write(credentials: Credentials, path: Path) -> None:
    document = {
        "default": credentials.default_server,
        "logins": [{"server": s.server, "token": s.token} for s in credentials.logins],
    }
    directory = path.parent
    try:
        directory.mkdir(mode=_DIRECTORY_MODE, parents=True, exist_ok=True)
        # mkdir's mode is filtered by the umask and ignored when the directory exists.
        directory.chmod(_DIRECTORY_MODE)
        # mkstemp creates the file 0600 before anything is written to it, and the rename
        # replaces the old file whole: no reader ever sees a partial or loose file.
        handle, temporary = tempfile.mkstemp(prefix=".credentials-", dir=directory)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(document, out, indent=2)
                out.write("\n")
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, _FILE_MODE)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise CredentialsFileError(path, exc.strerror or str(exc)) from None


def save_login(server: str, token: str, path: Path | None = None) -> Credentials:
    """Store ``token`` for ``server`` and make it the default; answers the new credentials.

    Raises:
        InvalidServerUrl: ``server`` is not an http(s) URL.
        CredentialsFileError: the file cannot be read or written.
    """
    path = path if path is not None else credentials_path()
    updated = load_credentials(path).with_login(server, token)
    _write(updated, path)
    return updated


def remove_login(server: str, path: Path | None = None) -> bool:
    """Forget ``server``'s token; whether there was one.

    Raises:
        CredentialsFileError: the file cannot be read or written.
    """
    path = path if path is not None else credentials_path()
    current = load_credentials(path)
    if current.token_for(server) is None:
        return False
    _write(current.without_login(server), path)
    return True


__all__ = [
    "Credentials",
    "CredentialsFileError",
    "InvalidServerUrl",
    "Login",
    "credentials_path",
    "load_credentials",
    "normalise_server",
    "remove_login",
    "save_login",
]
