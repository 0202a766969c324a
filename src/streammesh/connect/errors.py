"""``ConnectError``: the base of every error of connectors (see :mod:`streammesh.errors`).

Each connector module or subpackage defines its leaf errors deriving from this one, with
structured attributes and a message naming what is wrong and where (the connector, the
table or file, the column, the definition's line).
"""

from __future__ import annotations

from streammesh.errors import MeshError


class ConnectError(MeshError):
    """Base of connector errors: definitions, sources, sinks, their management."""
