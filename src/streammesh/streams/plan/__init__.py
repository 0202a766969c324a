"""The logical plan both front ends compile to and the engine runs.

``nodes`` holds the immutable nodes (``Source``, ``Filter``, ``Rekey``, ``Project``,
``Aggregate``, ``Join``, ``Sink``) with their schemas; :func:`explain` renders a plan as an
indented tree.
"""

from __future__ import annotations

from streammesh.streams.plan.errors import (
    DuplicateKey,
    InvalidQuery,
    KeyNotProjected,
    PlanError,
    SourceExists,
    UnknownSource,
)
from streammesh.streams.plan.explain import explain
from streammesh.streams.plan.nodes import (
    PSEUDO_COLUMNS,
    Aggregate,
    Filter,
    Formats,
    Join,
    PlanColumn,
    PlanNode,
    Project,
    Projection,
    Rekey,
    Role,
    RowSchema,
    Sink,
    Source,
    children,
)

__all__ = [
    "PSEUDO_COLUMNS",
    "Aggregate",
    "DuplicateKey",
    "Filter",
    "Formats",
    "InvalidQuery",
    "Join",
    "KeyNotProjected",
    "PlanColumn",
    "PlanError",
    "PlanNode",
    "Project",
    "Projection",
    "Rekey",
    "Role",
    "RowSchema",
    "Sink",
    "Source",
    "SourceExists",
    "UnknownSource",
    "children",
    "explain",
]
