"""A product's schema versions and the diff between two of them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from streammesh.schemas import SchemaType


class SchemaVersionDocument(BaseModel):
    """One version of a product's value subject."""

    subject: str
    version: int
    id: int
    schema_type: SchemaType
    schema_text: str = Field(alias="schema")

    model_config = ConfigDict(populate_by_name=True)


class IncompatibilityDocument(BaseModel):
    """Why one schema cannot read data written with the other."""

    path: str
    rule: str
    reason: str


class Direction(BaseModel):
    """Compatibility in one direction."""

    compatible: bool
    incompatibilities: list[IncompatibilityDocument]


class SchemaDiffReply(BaseModel):
    """How version ``to`` of a product's schema relates to version ``from``."""

    model_config = ConfigDict(populate_by_name=True)

    subject: str
    from_version: int = Field(alias="from")
    to_version: int = Field(alias="to")
    backward: Direction = Field(description="Version `to` reads data written with `from`.")
    forward: Direction = Field(description="Version `from` reads data written with `to`.")
    diff: str = Field(description="A unified diff of the schemas (empty: identical).")
