"""Data products as the REST API shows them: records, versions, applications, search."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from streammesh.control import ApplicationRole
from streammesh.products import Deprecation, Descriptor, Owner, Status


class SchemaPointer(BaseModel):
    """The value schema a product version was applied with."""

    id: int = Field(description="Global registry id.")
    version: int = Field(description="Version under the value subject.")


class ProductDocument(BaseModel):
    """One product version (``ProductRecord.document()``; the SDK reads it back)."""

    model_config = ConfigDict(populate_by_name=True)

    name: str
    version: int
    reference: str = Field(description="`<name>.v<version>`.")
    topic: str
    value_subject: str
    domain: str
    team: str
    owner: Owner
    description: str
    status: Status
    status_since: datetime
    deprecation: Deprecation | None
    forced_by: str | None
    replaced_by: str | None
    schema_pointer: SchemaPointer = Field(alias="schema")
    descriptor: Descriptor
    created_at: datetime
    updated_at: datetime


class ApplicationDocument(BaseModel):
    """An application registered with a product version."""

    product: str
    application: str
    role: ApplicationRole
    group: str | None
    principal: str
    first_seen: datetime
    last_seen: datetime
    active: bool = Field(description="Seen within the mesh's consumer activity window.")


class ProductDetail(BaseModel):
    """A product version with the references of all its versions and its applications."""

    product: ProductDocument
    versions: list[str] = Field(description="Every version's reference, oldest first.")
    applications: list[ApplicationDocument]


class SearchHitDocument(BaseModel):
    """One matching product version, in rank order."""

    name: str
    version: int
    reference: str
    description: str
    domain: str
    status: Status
    score: float


class SearchReply(BaseModel):
    """A page of hits and facet counts over every match."""

    hits: list[SearchHitDocument]
    total: int
    facets: dict[str, dict[str, int]] = Field(
        description="Per facet (domain, owner, team, tags, quality, sla_tier, alignment, "
        "status), how many matches have each value."
    )
    limit: int
    offset: int


class DeprecateBody(BaseModel):
    """Deprecate a published product."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, description="Why consumers should move away.")
    sunset: date = Field(description="The last day the product is served (YYYY-MM-DD).")
    replacement: str | None = Field(
        default=None, description="The product to move to, e.g. `execution.stocktrades.v2`."
    )


class RetireBody(BaseModel):
    """Retire a deprecated product (its topic is deleted)."""

    model_config = ConfigDict(extra="forbid")

    force: bool = Field(
        default=False,
        description="Retire although consumers are active; the caller is recorded as who forced.",
    )


class TransferBody(BaseModel):
    """Give a product (every version) to another team of its domain."""

    model_config = ConfigDict(extra="forbid")

    team: str = Field(
        min_length=1, max_length=64, description="The new owning team, of the product's domain."
    )
    note: str | None = Field(
        default=None, max_length=2000, description="Why (recorded in the audit log)."
    )


class ApplicationBody(BaseModel):
    """Register an application with a product version."""

    model_config = ConfigDict(extra="forbid")

    application: str = Field(description="The application's name (a consumer group, a job).")
    role: ApplicationRole
    group: str | None = Field(default=None, description="Its consumer group, when it has one.")
