"""``RegistryChange``: what a registry write changed, handed to a recorder inside its transaction.

A :class:`~streammesh.registry.sql.SqlSchemaRegistry` built with a recorder (``recording``)
calls it once per write that changed something — a new version (not an idempotent re-register),
a soft or permanent delete, a compatibility level or mode set or removed — in the same database
transaction as the change, after the change and before the commit. The server's recorder writes
the audit row there, so the change and its audit row commit or vanish together; a recorder that
raises rolls the change back. The control plane registers schemas through a registry without a
recorder: ``apply`` audits them itself, at the product level.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    # Only the recorder's signature names it: importing the registry's face (every package
    # below the control plane does) must not load SQLAlchemy.
    from sqlalchemy.engine import Connection


class ChangeKind(StrEnum):
    """The kinds of registry writes."""

    SCHEMA_REGISTERED = "schema-registered"
    SUBJECT_DELETED = "subject-deleted"
    VERSION_DELETED = "version-deleted"
    CONFIG_CHANGED = "config-changed"
    MODE_CHANGED = "mode-changed"


@dataclass(frozen=True, slots=True)
class RegistryChange:
    """One write to the registry, as it changed the stored state.

    Attributes:
        kind: What kind of write.
        subject: The subject written; ``None`` for the global compatibility level or mode.
        before: The JSON-able state before (``None`` when the write created it).
        after: The JSON-able state after (``None`` when the write removed it for good).
        permanent: For deletes: whether it was permanent (a hard delete).
    """

    kind: ChangeKind
    subject: str | None
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    permanent: bool = False


class ChangeRecorder(Protocol):
    """Called with each change inside the transaction that makes it (see the module doc)."""

    def __call__(self, connection: Connection, change: RegistryChange) -> None: ...


__all__ = ["ChangeKind", "ChangeRecorder", "RegistryChange"]
