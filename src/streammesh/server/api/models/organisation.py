"""Domains and teams."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class DomainBody(BaseModel):
    """Register (or describe again) a domain."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str | None = None


class DomainDocument(BaseModel):
    """A registered domain."""

    name: str
    description: str | None
    created_at: datetime
    created_by: str


class TeamBody(BaseModel):
    """Register (or describe again) a team."""

    model_config = ConfigDict(extra="forbid")

    name: str
    domain: str | None = Field(default=None, description="A registered domain it belongs to.")
    email: str | None = None
    description: str | None = None


class TeamDocument(BaseModel):
    """A registered team."""

    name: str
    domain: str | None
    email: str | None
    description: str | None
    created_at: datetime
    created_by: str
