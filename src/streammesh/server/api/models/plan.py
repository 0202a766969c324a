"""``/plan`` and ``/apply``: the product sources sent and the plan answered."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from streammesh.control import Action, Resource, Severity


class SourceBody(BaseModel):
    """One product version: its descriptor's and its schema's text."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    descriptor: str = Field(description="The descriptor's YAML (or JSON) text.")
    schema_text: str = Field(alias="schema", description="The value schema's text.")
    origin: str = Field(
        default="request",
        max_length=1000,
        description="Where it comes from, for messages, e.g. `execution/stocktrades.yaml`.",
    )


class PlanBody(BaseModel):
    """The products to plan or apply."""

    model_config = ConfigDict(extra="forbid")

    products: list[SourceBody] = Field(min_length=1)


class ChangeDocument(BaseModel):
    """One change to one resource."""

    resource: Resource
    action: Action
    target: str
    summary: str


class ProblemDocument(BaseModel):
    """Something wrong with a product's plan."""

    product: str
    origin: str
    severity: Severity
    rule: str
    message: str
    hint: str
    details: list[str]


class ProductPlanDocument(BaseModel):
    """The plan of one product version."""

    product: str
    origin: str
    changes: list[ChangeDocument]
    problems: list[ProblemDocument]


class PlanReply(BaseModel):
    """A plan (``PlanSummary.document()``); after ``apply``, ``applied`` lists what changed."""

    ok: bool = Field(description="No errors: `apply` would go ahead.")
    has_changes: bool
    counts: dict[str, int] = Field(description="Changes by action (create, update, delete).")
    applied: list[str]
    products: list[ProductPlanDocument]
    problems: list[ProblemDocument] = Field(description="Problems about several products.")
