"""``MeshClient``: what every SDK mesh offers, in-process or over HTTP."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from streammesh.catalog import SearchResult
from streammesh.control import (
    ApplicationRecord,
    DomainRecord,
    PlanSummary,
    ProductRecord,
    TeamRecord,
)
from streammesh.products import Status
from streammesh.sdk.access import AccessClient
from streammesh.sdk.accounts import AccountsClient
from streammesh.sdk.connectors import ConnectorsClient
from streammesh.sdk.governance import GovernanceClient
from streammesh.sdk.lineage import LineageClient
from streammesh.sdk.monitoring import MonitoringClient
from streammesh.sdk.streams import StreamsClient
from streammesh.sdk.tokens import TokensClient

if TYPE_CHECKING:
    from streammesh.sdk.notifications import NotificationsClient
    from streammesh.sdk.privacy import PrivacyClient


class MeshClient(Protocol):
    """The SDK's view of a mesh. :class:`~streammesh.sdk.Mesh` opens one.

    Products are named ``domain.product`` (their current version: the highest published one)
    or ``domain.product.vN`` (one major version).
    """

    def product(self, reference: str) -> ProductRecord:
        """A product version (``ProductNotFound`` when there is none)."""
        ...

    def products(
        self, *, domain: str | None = None, statuses: frozenset[Status] | None = None
    ) -> list[ProductRecord]:
        """Every product version, optionally of one domain or some statuses."""
        ...

    def search(self, query: str = "", **filters: Any) -> SearchResult:
        """Full-text search with facets (filters as :meth:`Catalog.search` takes them)."""
        ...

    def plan(self, paths: Sequence[str | Path]) -> PlanSummary:
        """What applying the descriptors under ``paths`` would change."""
        ...

    def apply(self, paths: Sequence[str | Path]) -> PlanSummary:
        """Apply the descriptors under ``paths`` (``PlanRefused`` when the plan has errors)."""
        ...

    def deprecate(
        self, reference: str, *, reason: str, sunset: date, replacement: str | None = None
    ) -> ProductRecord:
        """Deprecate a published product."""
        ...

    def retire(self, reference: str, *, force: bool = False) -> ProductRecord:
        """Retire a deprecated product (deletes its stream)."""
        ...

    def transfer(self, reference: str, *, team: str, note: str | None = None) -> ProductRecord:
        """Give a product (every version) to another team of its domain; returns its current
        version. Over HTTP a domain owner's call offers it (the team stays) until a domain
        owner of the new team makes the same call; governance and admins transfer at once."""
        ...

    def applications(self, reference: str) -> list[tuple[ApplicationRecord, bool]]:
        """Applications registered with a product version, each with whether it is active."""
        ...

    def domains(self) -> list[DomainRecord]: ...

    def teams(self, *, domain: str | None = None) -> list[TeamRecord]: ...

    def register_domain(self, name: str, *, description: str | None = None) -> DomainRecord: ...

    def register_team(
        self,
        name: str,
        *,
        domain: str | None = None,
        email: str | None = None,
        description: str | None = None,
    ) -> TeamRecord: ...

    @property
    def notifications(self) -> NotificationsClient:
        """Subscriptions, the inbox, dead letters and incidents."""
        ...

    @property
    def privacy(self) -> PrivacyClient:
        """Crypto-shredding: forget an entity's classified fields."""
        ...

    @property
    def governance(self) -> GovernanceClient:
        """Policies, the compliance report and governance proposals."""
        ...

    @property
    def streams(self) -> StreamsClient:
        """Stream applications: deploy one for the server to host, list, status, stop,
        start, reset, delete."""
        ...

    @property
    def connectors(self) -> ConnectorsClient:
        """Connectors: create one from its definition, list, status, config, pause, resume,
        restart, delete."""
        ...

    @property
    def lineage(self) -> LineageClient:
        """The lineage graph, impact analysis and OpenLineage runs."""
        ...

    @property
    def monitoring(self) -> MonitoringClient:
        """Throughput, consumer lag and SLO states."""
        ...

    @property
    def access(self) -> AccessClient:
        """Access requests and grants: request, approve, reject, revoke, list."""
        ...

    @property
    def accounts(self) -> AccountsClient:
        """Users and service accounts."""
        ...

    @property
    def tokens(self) -> TokensClient:
        """API tokens: create, list, revoke."""
        ...

    def close(self) -> None: ...
