"""Governance proposals: the decisions behind rules, kept searchable.

A proposal moves ``draft → in-review → accepted | rejected``, and an accepted one to
``implemented`` once the policy carries it. Every step is audited.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from streammesh.audit import AuditAction, AuditEntry, AuditLog
from streammesh.governance.errors import (
    InvalidProposal,
    ProposalNotFound,
    ProposalTransitionRefused,
)
from streammesh.governance.policies import GOVERNANCE_LOCK, relay_quietly
from streammesh.governance.proposal_status import NEXT_STATUSES, ProposalStatus
from streammesh.governance.tables import proposals
from streammesh.store import MetadataStore


@dataclass(frozen=True, slots=True)
class ProposalStep:
    """One status change of a proposal."""

    status: ProposalStatus
    at: datetime
    by: str
    note: str | None

    def document(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "at": self.at.isoformat(),
            "by": self.by,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class Proposal:
    """A governance proposal.

    Attributes:
        id: Its number, increasing.
        title: One line.
        body: The proposal: the problem, the rule proposed, its parameters.
        rules: Rule ids it is about (e.g. ``fields.personal-data``), for search.
        status: Where it is.
        history: Every status it went through, oldest first (``draft`` first).
    """

    id: int
    title: str
    body: str
    rules: tuple[str, ...]
    status: ProposalStatus
    history: tuple[ProposalStep, ...]
    created_at: datetime
    created_by: str
    updated_at: datetime

    def document(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "body": self.body,
            "rules": list(self.rules),
            "status": self.status.value,
            "history": [step.document() for step in self.history],
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "updated_at": self.updated_at.isoformat(),
        }


class ProposalRegistry:
    """Creates, finds and moves governance proposals."""

    def __init__(
        self,
        store: MetadataStore,
        *,
        clock: Callable[[], datetime] | None = None,
        relay: Callable[[], object] | None = None,
    ) -> None:
        self._store = store
        self._clock = clock or (lambda: datetime.now(UTC))
        self._audit = AuditLog(store)
        self._relay = relay

    def create(self, title: str, body: str, *, rules: Sequence[str] = (), actor: str) -> Proposal:
        """Write a new proposal, as a draft.

        Raises:
            InvalidProposal: The title is blank or over :data:`MAX_TITLE` characters, or the
                body is over :data:`MAX_BODY` characters.
        """
        _check_proposal(title, body)
        now = self._clock()
        history = (ProposalStep(ProposalStatus.DRAFT, now, actor, None),)
        with self._store.write(GOVERNANCE_LOCK) as connection:
            inserted = connection.execute(
                proposals.insert()
                .values(
                    title=title.strip(),
                    body=body,
                    rules=json.dumps(list(rules)),
                    status=ProposalStatus.DRAFT.value,
                    history=json.dumps([step.document() for step in history]),
                    created_at=now,
                    created_by=actor,
                    updated_at=now,
                )
                .returning(proposals.c.id)
            )
            proposal = _get(connection, inserted.scalar_one())
            self._audit.record(
                connection,
                AuditEntry(
                    AuditAction.PROPOSAL_CREATED,
                    f"proposal:{proposal.id}",
                    actor,
                    after=proposal.document(),
                ),
                at=now,
            )
        relay_quietly(self._relay)
        return proposal

    def get(self, proposal_id: int) -> Proposal:
        """The proposal ``proposal_id`` (raises ``ProposalNotFound``)."""
        with self._store.read() as connection:
            return _get(connection, proposal_id)

    def search(
        self, text: str | None = None, *, status: ProposalStatus | None = None
    ) -> list[Proposal]:
        """Proposals whose title, body or rules contain ``text`` (any case), newest first."""
        query = sa.select(proposals).order_by(proposals.c.id.desc())
        if status is not None:
            query = query.where(proposals.c.status == status.value)
        if text:
            pattern = f"%{text.lower()}%"
            query = query.where(
                sa.or_(
                    sa.func.lower(proposals.c.title).like(pattern),
                    sa.func.lower(proposals.c.body).like(pattern),
                    sa.func.lower(proposals.c.rules).like(pattern),
                )
            )
        with self._store.read() as connection:
            return [_proposal(row) for row in connection.execute(query).mappings()]

    def move(
        self, proposal_id: int, status: ProposalStatus, *, actor: str, note: str | None = None
    ) -> Proposal:
        """Move a proposal to ``status``.

        Raises:
            ProposalNotFound: No such proposal.
            ProposalTransitionRefused: Its current status does not lead to ``status``.
        """
        now = self._clock()
        with self._store.write(GOVERNANCE_LOCK) as connection:
            before = _get(connection, proposal_id)
            allowed = NEXT_STATUSES[before.status]
            if status not in allowed:
                raise ProposalTransitionRefused(
                    proposal_id, before.status.value, status.value, [item.value for item in allowed]
                )
            history = (*before.history, ProposalStep(status, now, actor, note))
            connection.execute(
                proposals.update()
                .where(proposals.c.id == proposal_id)
                .values(
                    status=status.value,
                    history=json.dumps([step.document() for step in history]),
                    updated_at=now,
                )
            )
            after = _get(connection, proposal_id)
            self._audit.record(
                connection,
                AuditEntry(
                    AuditAction.PROPOSAL_MOVED,
                    f"proposal:{proposal_id}",
                    actor,
                    before={"status": before.status.value},
                    after={"status": status.value},
                    note=note,
                ),
                at=now,
            )
        relay_quietly(self._relay)
        return after


def _get(connection: Connection, proposal_id: int) -> Proposal:
    row = (
        connection.execute(sa.select(proposals).where(proposals.c.id == proposal_id))
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise ProposalNotFound(proposal_id)
    return _proposal(row)


def _proposal(row: RowMapping) -> Proposal:
    return Proposal(
        row["id"],
        row["title"],
        row["body"],
        tuple(json.loads(row["rules"])),
        ProposalStatus(row["status"]),
        tuple(
            ProposalStep(
                ProposalStatus(step["status"]),
                datetime.fromisoformat(step["at"]),
                step["by"],
                step["note"],
            )
            for step in json.loads(row["history"])
        ),
        row["created_at"],
        row["created_by"],
        row["updated_at"],
    )


MAX_TITLE = 200
"""Characters a proposal's title may have (after surrounding spaces are dropped)."""
MAX_BODY = 100_000
"""Characters a proposal's body may have."""


def _check_proposal(title: str, body: str) -> None:
    """Raise ``InvalidProposal`` unless ``title`` and ``body`` fit a proposal."""
    if not title.strip():
        raise InvalidProposal("the title is empty; give the decision a one-line title")
    if len(title.strip()) > MAX_TITLE:
        raise InvalidProposal(f"the title has {len(title.strip())} characters; at most {MAX_TITLE}")
    if len(body) > MAX_BODY:
        raise InvalidProposal(f"the body has {len(body)} characters; at most {MAX_BODY}")
