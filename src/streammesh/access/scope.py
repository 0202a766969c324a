"""Domain scope: which domains a principal may change.

Federated governance is enforced here. Platform admins and governance act mesh-wide; every
other principal acts only inside the domains of its teams. A principal's teams are the team
its account belongs to (a user or service account with ``--team``) and, when the principal is
itself a registered team (a token issued to a team name), that team. A team's domain is the one
it was registered under (``streammesh teams create NAME --domain DOMAIN``, or by ``apply``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import sqlalchemy as sa

from streammesh.access.authority import OVERSEERS
from streammesh.access.errors import OutsideDomain
from streammesh.control import teams_table
from streammesh.identity import Role, accounts_table
from streammesh.store import MetadataStore


@dataclass(frozen=True, slots=True)
class DomainScope:
    """The domains (and teams) one principal may act in.

    Attributes:
        principal: The principal's name.
        role: The role of the token it acts with.
        teams: The principal's teams (empty for a principal without an account).
        domains: The domains of those teams.
    """

    principal: str
    role: Role
    teams: frozenset[str]
    domains: frozenset[str]

    @property
    def mesh_wide(self) -> bool:
        """Whether the principal acts on every domain (platform admin, governance)."""
        return self.role in OVERSEERS

    def covers(self, domain: str) -> bool:
        """Whether the principal may act in ``domain``."""
        return self.mesh_wide or domain in self.domains

    def covers_team(self, team: str) -> bool:
        """Whether the principal may act for ``team`` (one of its own teams)."""
        return self.mesh_wide or team in self.teams

    def check(self, domain: str, action: str, subject: str) -> None:
        """Raise :class:`OutsideDomain` unless the principal may ``action`` ``subject`` of
        ``domain``."""
        if not self.covers(domain):
            raise OutsideDomain(self.principal, action, subject, domain, sorted(self.domains))

    def check_member(self, teams: Collection[str], domain: str, action: str, subject: str) -> None:
        """Raise :class:`OutsideDomain` unless the principal is in one of ``teams`` (or acts
        mesh-wide); ``domain`` is the one the refusal names."""
        if self.mesh_wide or self.teams.intersection(teams):
            return
        raise OutsideDomain(self.principal, action, subject, domain, sorted(self.domains))

    def check_team(self, team: str, domain: str | None, action: str, subject: str) -> None:
        """Raise :class:`OutsideDomain` unless the principal may ``action`` ``subject`` of
        ``team`` (registered under ``domain``): one of its own teams, or a team of one of its
        domains."""
        if self.covers_team(team) or (domain is not None and self.covers(domain)):
            return
        raise OutsideDomain(self.principal, action, subject, domain or "none", sorted(self.domains))


def domain_scope(store: MetadataStore, principal: str, role: Role) -> DomainScope:
    """The :class:`DomainScope` of ``principal`` acting with ``role``, read from the store."""
    if role in OVERSEERS:
        return DomainScope(principal, role, frozenset(), frozenset())
    with store.read() as connection:
        team = connection.execute(
            sa.select(accounts_table.c.team).where(accounts_table.c.name == principal)
        ).scalar_one_or_none()
        names = {name for name in (team, principal) if name}
        rows = connection.execute(
            sa.select(teams_table.c.name, teams_table.c.domain).where(
                teams_table.c.name.in_(sorted(names))
            )
        ).all()
    teams = frozenset(row.name for row in rows)
    domains = frozenset(row.domain for row in rows if row.domain)
    return DomainScope(principal, role, teams, domains)
