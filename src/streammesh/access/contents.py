"""Who may read a product's event contents outside a consumer: its sample over REST and the
recent events of its page in the web UI.

The schema and the metadata of a product (contract, offsets, counts, throughput) are for
everyone with a token: that is how consumers judge a product before asking for it. Its events
are not: reading them needs

- an active grant on the product version, held by the principal itself or by an application
  (service account) of the principal's team — how a team's people look at what their
  application was granted;
- or membership of the owning team: a user or service account of that team, or the team
  principal itself;
- or the governance or platform-admin role (they oversee and operate every product).

Classified fields are revealed only through a grant that includes them; everyone else sees
them masked, owning team and overseers included.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa

from streammesh.access.authority import OVERSEERS
from streammesh.access.control import AccessControl
from streammesh.access.errors import EventsNotReadable
from streammesh.access.scope import domain_scope
from streammesh.identity import AccountKind, Role, accounts_table
from streammesh.store import MetadataStore


class ReadBasis(StrEnum):
    """Why a principal may read a product's events."""

    GRANT = "grant"
    TEAM = "team"
    OVERSEER = "overseer"


@dataclass(frozen=True, slots=True)
class ContentAccess:
    """A principal's access to one product version's event contents.

    Attributes:
        principal: Who reads.
        product: The product version, ``<name>.v<N>``.
        basis: Why it may read the events.
        clear_through: The principals (itself or its team's applications) whose active grant
            includes classified fields; empty when classified fields stay masked.
    """

    principal: str
    product: str
    basis: ReadBasis
    clear_through: tuple[str, ...]

    @property
    def clear(self) -> bool:
        """Whether classified fields are shown in clear."""
        return bool(self.clear_through)


def content_access(
    control: AccessControl,
    store: MetadataStore,
    principal: str,
    role: Role,
    product: str,
    owning_team: str,
) -> ContentAccess:
    """What ``principal`` (acting with ``role``) may see of ``product``'s events.

    Args:
        control: The grant checks of the data plane.
        store: The metadata store (accounts and teams).
        principal: The caller's name.
        role: The role of the caller's token.
        product: The product version, ``<name>.v<N>``.
        owning_team: The product's owning team.

    Raises:
        EventsNotReadable: No grant, not in the owning team, not an overseer; the message
            names the command that requests access.
    """
    # The teams whatever the role: an overseer's scope lists none, but its account's team
    # may still hold a grant with classified fields.
    teams = domain_scope(store, principal, Role.MEMBER).teams
    applications = _service_accounts(store, teams)
    holders = [principal, *(name for name in applications if name != principal)]
    granted: list[str] = []
    clear: list[str] = []
    for name in holders:
        grant = control.read_grant(name, product)
        if grant is not None:
            granted.append(name)
            if grant.classified:
                clear.append(name)
    if granted:
        basis = ReadBasis.GRANT
    elif owning_team in teams:
        basis = ReadBasis.TEAM
    elif role in OVERSEERS:
        basis = ReadBasis.OVERSEER
    else:
        raise EventsNotReadable(
            principal, product, owning_team, application=_applicant(store, principal, applications)
        )
    return ContentAccess(principal, product, basis, tuple(clear))


def _service_accounts(store: MetadataStore, teams: frozenset[str]) -> list[str]:
    """The service accounts of ``teams``, by name."""
    if not teams:
        return []
    a = accounts_table.c
    with store.read() as connection:
        rows = connection.execute(
            sa.select(a.name)
            .where(a.team.in_(sorted(teams)), a.kind == AccountKind.SERVICE_ACCOUNT.value)
            .order_by(a.name)
        ).all()
    return [row.name for row in rows]


def _applicant(store: MetadataStore, principal: str, applications: list[str]) -> str:
    """The application to name in the request command: the principal when it is one (grants
    go to service accounts), its team's only application, or a placeholder."""
    a = accounts_table.c
    with store.read() as connection:
        kind = connection.execute(sa.select(a.kind).where(a.name == principal)).scalar_one_or_none()
    if kind == AccountKind.SERVICE_ACCOUNT.value:
        return principal
    return applications[0] if len(applications) == 1 else "APP"


__all__ = ["ContentAccess", "ReadBasis", "content_access"]
