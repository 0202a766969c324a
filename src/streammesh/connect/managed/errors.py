"""Errors of managing connectors (see :mod:`streammesh.connect.errors`)::

ConnectError
└── ConnectorManagementError
    ├── UnknownConnector        no connector of that name (the nearest one suggested)
    ├── ConnectorExists         creating a name that is taken (POST /connect/connectors)
    ├── ConnectorConfigInvalid  a Connect-style config that is no connector definition
    ├── SecretInClear           a password written in a config instead of a ${VAR}
    └── PathNotAllowed          a server-placed connector naming a path outside its folders
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from pathlib import Path

from streammesh.connect.errors import ConnectError

__all__ = [
    "ConnectorConfigInvalid",
    "ConnectorExists",
    "ConnectorManagementError",
    "PathNotAllowed",
    "SecretInClear",
    "UnknownConnector",
]


class ConnectorManagementError(ConnectError):
    """Base of the errors of creating, changing, pausing, resuming, restarting and deleting
    connectors recorded by the mesh."""


class UnknownConnector(ConnectorManagementError):
    """No connector has this name.

    Attributes:
        name: The name asked for.
        suggestion: The nearest recorded connector's name, if one is close enough.
    """

    def __init__(self, name: str, known: Iterable[str]) -> None:
        self.name = name
        close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
        self.suggestion = close[0] if close else None
        hint = (
            f"; did you mean '{self.suggestion}'?"
            if self.suggestion
            else "; 'streammesh connect list' shows the connectors"
        )
        super().__init__(f"Connector {name} not found{hint}")


class ConnectorExists(ConnectorManagementError):
    """A connector of this name is already recorded (creating it again is refused; changing
    its config is ``PUT /connect/connectors/{name}/config`` or ``connect create --replace``).

    Attributes:
        name: The connector's name.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"Connector {name} already exists; change its config with "
            f"'PUT /connect/connectors/{name}/config' or 'streammesh connect create FILE --replace'"
        )


class ConnectorConfigInvalid(ConnectorManagementError):
    """A Connect-style config (``{"connector.class": ..., ...}``) that cannot be turned into a
    connector definition.

    Attributes:
        name: The connector's name (as given).
        field: The config key concerned (``""`` for the whole).
        problem: What is wrong.
    """

    def __init__(self, name: str, field: str, problem: str) -> None:
        self.name = name
        self.field = field
        self.problem = problem
        where = f"config key {field!r} " if field else "config "
        super().__init__(f"connector {name!r}: {where}{problem}")


class SecretInClear(ConnectorManagementError):
    """A credential written in a connector's config instead of a ``${VAR}`` reference: the
    mesh keeps configs as given, so it refuses to keep a password (it is not echoed).

    Attributes:
        name: The connector.
        field: Where the credential is (``config.url``).
    """

    def __init__(self, name: str, field: str) -> None:
        self.name = name
        self.field = field
        super().__init__(
            f"connector {name!r}: {field} holds a password in clear; write it as an "
            "environment variable reference (url: ${ORDERS_DB_URL}, or "
            "postgresql://user:${ORDERS_DB_PASSWORD}@host/db) set where the connector runs — "
            "the mesh never stores, prints or returns credentials"
        )


class PathNotAllowed(ConnectorManagementError):
    """A connector the server hosts names a file or folder outside the folders the server
    lets connectors use (the mesh directory and ``connect.allowed_paths`` in ``mesh.yaml``).

    Attributes:
        name: The connector.
        setting: The setting naming the path (``config.folder``).
        path: The path as written.
        allowed: The folders allowed.
        relative: Whether the path is refused for being relative.
    """

    def __init__(
        self,
        name: str,
        setting: str,
        path: str,
        allowed: Sequence[Path],
        *,
        relative: bool = False,
    ) -> None:
        self.name = name
        self.setting = setting
        self.path = path
        self.allowed = tuple(allowed)
        self.relative = relative
        folders = ", ".join(str(folder) for folder in self.allowed)
        reason = (
            "is relative; a connector hosted by the server needs an absolute path"
            if relative
            else "is outside the folders a connector hosted by the server may use"
        )
        super().__init__(
            f"connector {name!r}: {setting} {path!r} {reason} ({folders}; the operator may "
            "add folders as connect.allowed_paths in mesh.yaml, or run it with "
            "`streammesh connect run`)"
        )
