"""API tokens: what is listed (never a secret), the body that creates one, and the one answer
that carries a secret."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from streammesh.identity import Role


class TokenBody(BaseModel):
    """Create a token for a principal."""

    model_config = ConfigDict(extra="forbid")

    principal: str = Field(
        description="Who the token speaks for (a user, service account or team)."
    )
    role: Role = Field(description="What the token may do.")
    description: str = Field(default="", description="What the token is for.")
    expires_at: AwareDatetime | None = Field(
        default=None, description="When it stops working (with a time zone); none: never."
    )


class TokenDocument(BaseModel):
    """A token as listed: everything but the secret."""

    id: str
    principal: str
    role: Role
    description: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    active: bool


class IssuedTokenDocument(TokenDocument):
    """A new token, with its secret: shown in this answer only, it is not stored."""

    secret: str = Field(description="The token to send as `Authorization: Bearer <secret>`.")
