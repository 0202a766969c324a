"""``GovernanceService``: policies, proposals and the compliance report of one mesh, as the
server and the command line use them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from streammesh.governance.policies import PolicyRegistry
from streammesh.governance.proposals import ProposalRegistry
from streammesh.governance.report import ComplianceReport, compliance_report
from streammesh.log import EventLog
from streammesh.registry import SchemaRegistry
from streammesh.store import MetadataStore

if TYPE_CHECKING:
    from streammesh.control import ControlPlane


class GovernanceService:
    """The governance of one mesh (its store, control plane and registry; with its event log,
    the report also scans streams for protected fields held in clear).

    Attributes:
        policies: The global and domain policies.
        proposals: The governance proposals.
    """

    def __init__(
        self,
        store: MetadataStore,
        plane: ControlPlane,
        registry: SchemaRegistry,
        *,
        clock: Callable[[], datetime] | None = None,
        log: EventLog | None = None,
    ) -> None:
        self._store = store
        self._log = log
        self._plane = plane
        self._registry = registry
        self._clock = clock or (lambda: datetime.now(UTC))
        self.policies = PolicyRegistry(store, clock=self._clock, relay=plane.relay_events)
        self.proposals = ProposalRegistry(store, clock=self._clock, relay=plane.relay_events)

    def report(self) -> ComplianceReport:
        """Every published product's compliance with its domain's policy."""
        return compliance_report(
            self._store, self._plane, self._registry, now=self._clock(), log=self._log
        )
