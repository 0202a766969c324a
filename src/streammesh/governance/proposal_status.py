"""Where a governance proposal is in its life, and where it may go next.

Apart from :mod:`streammesh.governance.proposals` so that the command line can offer the
statuses as an option's choices without loading the proposal registry and the metadata store.
"""

from __future__ import annotations

from enum import StrEnum


class ProposalStatus(StrEnum):
    """Where a proposal is in its life."""

    DRAFT = "draft"
    IN_REVIEW = "in-review"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    IMPLEMENTED = "implemented"


NEXT_STATUSES: dict[ProposalStatus, tuple[ProposalStatus, ...]] = {
    ProposalStatus.DRAFT: (ProposalStatus.IN_REVIEW,),
    ProposalStatus.IN_REVIEW: (ProposalStatus.ACCEPTED, ProposalStatus.REJECTED),
    ProposalStatus.ACCEPTED: (ProposalStatus.IMPLEMENTED,),
    ProposalStatus.REJECTED: (),
    ProposalStatus.IMPLEMENTED: (),
}
"""The statuses each status can move to."""
