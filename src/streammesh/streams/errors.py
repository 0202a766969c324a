"""``StreamsError``: the base of every error of stream processing (see :mod:`streammesh.errors`).

Each subpackage defines its leaf errors in its own ``errors`` module, deriving from this one.
"""

from __future__ import annotations

from streammesh.errors import MeshError


class StreamsError(MeshError):
    """Base of stream-processing errors: statements, expressions, formats, state."""
