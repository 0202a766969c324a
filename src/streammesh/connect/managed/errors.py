"""Errors of managing connectors (see :mod:`streammesh.connect.errors`)::

ConnectError
└── ConnectorManagementError
    ├── UnknownConnector        no connector of that name (the nearest one suggested)
    ├── ConnectorExists         creating a name that is taken (POST /connect/connectors)
    ├── ConnectorConfigInvalid  a Connect-style config that is no connector definition
    └── SecretInClear           a password written in a config instead of a ${VAR}
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from streammesh.connect.errors import ConnectError

__all__ = [
    "ConnectorConfigInvalid",
    "ConnectorExists",
    "ConnectorManagementError",
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
