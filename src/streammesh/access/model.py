"""Access requests and the grants they become."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa


class AccessState(StrEnum):
    """Where a request is: ``requested → approved | rejected``, ``approved → revoked | expired``."""

    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    REVOKED = "revoked"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Grant:
    """An active right of ``principal`` to read ``product``.

    Attributes:
        id: The grant id (the id of the request it was approved from).
        principal: The service account it was granted to.
        product: ``<name>.v<N>``.
        classified: Whether classified fields may be read in clear (else they are masked).
        expires_at: When it stops (``None``: until revoked).
    """

    id: str
    principal: str
    product: str
    classified: bool
    expires_at: datetime | None
    purpose: str
    approved_at: datetime
    approved_by: str


@dataclass(frozen=True, slots=True)
class AccessRequest:
    """One access request and everything that happened to it.

    Attributes:
        product: The product name; :attr:`reference` adds the version.
        requested_by: Who asked (the service account itself, a user of its team, an admin).
        decided_by: Who approved or rejected it (``policy:auto-approve`` when automatic).
        ended_at: When it was revoked or expired.
    """

    id: str
    principal: str
    product: str
    version: int
    purpose: str
    classified: bool
    state: AccessState
    requested_at: datetime
    requested_by: str
    decided_at: datetime | None = None
    decided_by: str | None = None
    note: str | None = None
    expires_at: datetime | None = None
    ended_at: datetime | None = None
    ended_by: str | None = None

    @property
    def reference(self) -> str:
        return f"{self.product}.v{self.version}"

    def active(self, now: datetime) -> bool:
        """Approved and neither revoked nor past its expiry at ``now``."""
        if self.state is not AccessState.APPROVED:
            return False
        return self.expires_at is None or self.expires_at > now

    def grant(self) -> Grant:
        """The grant of an approved request."""
        if self.decided_at is None or self.decided_by is None:
            raise ValueError(f"access request {self.id} was never approved")
        return Grant(
            self.id,
            self.principal,
            self.reference,
            self.classified,
            self.expires_at,
            self.purpose,
            self.decided_at,
            self.decided_by,
        )

    def document(self) -> dict[str, Any]:
        """The JSON shape in the REST API, ``--json`` output and audit entries."""

        def moment(value: datetime | None) -> str | None:
            return None if value is None else value.isoformat()

        return {
            "id": self.id,
            "principal": self.principal,
            "product": self.reference,
            "purpose": self.purpose,
            "classified": self.classified,
            "state": self.state.value,
            "requested_at": moment(self.requested_at),
            "requested_by": self.requested_by,
            "decided_at": moment(self.decided_at),
            "decided_by": self.decided_by,
            "note": self.note,
            "expires_at": moment(self.expires_at),
            "ended_at": moment(self.ended_at),
            "ended_by": self.ended_by,
        }


def request_from_row(row: sa.Row[Any]) -> AccessRequest:
    """An :class:`AccessRequest` from a row of ``access_requests``."""
    return AccessRequest(
        id=row.id,
        principal=row.principal,
        product=row.product,
        version=row.version,
        purpose=row.purpose,
        classified=bool(row.classified),
        state=AccessState(row.state),
        requested_at=row.requested_at,
        requested_by=row.requested_by,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
        note=row.note,
        expires_at=row.expires_at,
        ended_at=row.ended_at,
        ended_by=row.ended_by,
    )
