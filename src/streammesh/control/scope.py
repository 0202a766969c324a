"""The caller's scope as the control plane checks it: which domains and teams it may change.

``streammesh.access.DomainScope`` is the one implementation: it is read from the accounts and
teams of a principal, and the access package sits above the control plane, so the plane names
the scope by its shape here instead of importing it.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol


class ChangeScope(Protocol):
    """The domains (and teams) one caller may change; ``check*`` raise ``OutsideDomain``."""

    @property
    def mesh_wide(self) -> bool:
        """Whether the caller acts on every domain (platform admin, governance)."""
        ...

    @property
    def teams(self) -> frozenset[str]:
        """The caller's teams."""
        ...

    @property
    def domains(self) -> frozenset[str]:
        """The domains of those teams."""
        ...

    def check(self, domain: str, action: str, subject: str) -> None:
        """Refuse unless the caller may ``action`` ``subject`` of ``domain``."""
        ...

    def check_member(self, teams: Collection[str], domain: str, action: str, subject: str) -> None:
        """Refuse unless the caller is in one of ``teams`` (or acts mesh-wide)."""
        ...

    def check_team(self, team: str, domain: str | None, action: str, subject: str) -> None:
        """Refuse unless the caller may ``action`` ``subject`` of ``team`` (in ``domain``)."""
        ...
