"""Principals, access requests and grants."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from streammesh.access import AccessState
from streammesh.identity import AccountKind


class PrincipalBody(BaseModel):
    """Create a user or a service account."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="The principal name tokens are issued to.")
    kind: AccountKind = Field(description="`user` or `service-account` (teams: `POST /teams`).")
    team: str | None = Field(
        default=None, description="A registered team; required for a service account."
    )
    description: str = ""


class PrincipalDocument(BaseModel):
    """A user, service account or team."""

    name: str
    kind: AccountKind
    team: str | None
    description: str
    created_at: datetime
    created_by: str


class AccessRequestBody(BaseModel):
    """Ask for an application's read access to a product version."""

    model_config = ConfigDict(extra="forbid")

    product: str = Field(description="`<name>.v<N>`, or a name for its current version.")
    application: str = Field(description="The application's service account.")
    purpose: str = Field(description="What the data is for.")
    classified: bool = Field(
        default=False, description="Whether classified fields are needed in clear."
    )


class DecisionBody(BaseModel):
    """Approve or reject a pending request, or revoke a grant."""

    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, description="Why; kept with the request.")


class ApprovalBody(DecisionBody):
    """Approve a pending request."""

    expires_at: AwareDatetime | None = Field(
        default=None, description="When the grant ends (default: until revoked)."
    )


class AccessRequestDocument(BaseModel):
    """An access request; approved, it is the grant (same id)."""

    id: str
    principal: str
    product: str
    purpose: str
    classified: bool
    state: AccessState
    requested_at: datetime
    requested_by: str
    decided_at: datetime | None
    decided_by: str | None
    note: str | None
    expires_at: datetime | None
    ended_at: datetime | None
    ended_by: str | None
