"""``Audience``: who hears about an event because of who they are, not what they subscribed
to — every downstream owner of a deprecated product (impact analysis), every consumer of a
product with an incident (its registered applications' teams and its grant holders)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from streammesh.access import AccessService, AccessState
from streammesh.audit import AuditAction
from streammesh.control import ApplicationRole, ControlPlane, ProductNotFound
from streammesh.identity import AccountStore
from streammesh.lineage import impact
from streammesh.notify.messages import Notice
from streammesh.store import MetadataStore


class Reason(StrEnum):
    """Why a notification was sent (the ``notification.reason`` of a webhook body)."""

    SUBSCRIPTION = "subscription"
    DOWNSTREAM_OF_DEPRECATED = "downstream-of-deprecated-product"
    CONSUMER_OF_INCIDENT = "consumer-of-product-with-incident"


@dataclass(frozen=True, slots=True)
class Audience:
    """The teams (their subscriptions and inbox) and e-mail contacts an event is directed to."""

    reason: Reason
    teams: frozenset[str]
    contacts: frozenset[str]


class AudienceFinder:
    """Finds the directed audience of deprecations and incidents."""

    def __init__(self, store: MetadataStore, plane: ControlPlane) -> None:
        self._store = store
        self._plane = plane
        self._accounts = AccountStore(store)
        self._access = AccessService(store, plane)

    def audience(self, notice: Notice) -> Audience | None:
        """The directed audience of ``notice``, or ``None`` for an event only subscribers
        hear about (also when the product is gone from the mesh)."""
        product = notice.product
        if product is None:
            return None
        try:
            if AuditAction.PRODUCT_DEPRECATED in notice.types:
                return self._downstream(product)
            if AuditAction.INCIDENT_DECLARED in notice.types:
                return self._consumers(product)
        except ProductNotFound:
            return None
        return None

    def _downstream(self, product: str) -> Audience:
        dependents = impact(self._plane, product, store=self._store)
        teams = {dependent.team for dependent in dependents if dependent.team}
        contacts = {dependent.contact for dependent in dependents if dependent.contact}
        return Audience(
            Reason.DOWNSTREAM_OF_DEPRECATED,
            frozenset(teams),
            frozenset(contacts | self._team_emails(teams)),
        )

    def _consumers(self, product: str) -> Audience:
        principals = {
            application.principal
            for application, _active in self._plane.applications(product)
            if application.role is ApplicationRole.CONSUMER
        }
        principals |= {
            request.principal
            for request in self._access.list(product=product, state=AccessState.APPROVED)
        }
        teams = set(self._teams_of(principals))
        return Audience(
            Reason.CONSUMER_OF_INCIDENT, frozenset(teams), frozenset(self._team_emails(teams))
        )

    def _teams_of(self, principals: Iterable[str]) -> Iterable[str]:
        for principal in principals:
            account = self._accounts.find(principal)
            if account is not None and account.team:
                yield account.team

    def _team_emails(self, teams: set[str]) -> set[str]:
        return {team.email for team in self._plane.teams() if team.name in teams and team.email}
