"""The JSON bodies of the Confluent Schema Registry API, as pydantic models.

Requests are validated with them; responses are declared with them so the OpenAPI document
describes what the routes answer. Field names are Confluent's (``schemaType``,
``compatibilityLevel``), aliases where they would shadow pydantic's own names (``schema``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

JAVA_INT_MAX = 2**31 - 1
"""Confluent's ids and versions are Java ints; larger numbers name nothing (and would
overflow the store's integer columns)."""
JAVA_INT_MIN = -(2**31)


class ReferenceBody(BaseModel):
    """A reference to another registered schema version."""

    name: str = Field(description="The name the schema imports it by.")
    subject: str
    version: int = Field(ge=JAVA_INT_MIN, le=JAVA_INT_MAX)


class SchemaBody(BaseModel):
    """A schema as Confluent clients send it. Unknown properties are ignored, as Confluent
    clients ask with ``Confluent-Accept-Unknown-Properties``."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    schema_text: str = Field(alias="schema", description="The schema text.")
    schema_type: str | None = Field(
        default=None, alias="schemaType", description="AVRO (default), JSON or PROTOBUF."
    )
    references: list[ReferenceBody] | None = None
    metadata: dict[str, Any] | None = None
    rule_set: dict[str, Any] | None = Field(default=None, alias="ruleSet")


class ConfigBody(BaseModel):
    """A compatibility level (``compatibility``, or ``compatibilityLevel`` as some send it)."""

    model_config = ConfigDict(extra="ignore")

    compatibility: str | None = None
    compatibilityLevel: str | None = None


class ModeBody(BaseModel):
    """A registry mode."""

    model_config = ConfigDict(extra="ignore")

    mode: str


class SchemaReply(BaseModel):
    """A schema by id."""

    schema_text: str = Field(alias="schema")
    schemaType: str | None = None
    references: list[ReferenceBody] | None = None


class SubjectVersionReply(BaseModel):
    """One version of a subject (fields in Confluent's order)."""

    subject: str
    version: int
    id: int
    schema_text: str = Field(alias="schema")
    schemaType: str | None = None
    references: list[ReferenceBody] | None = None


class RegisteredReply(BaseModel):
    """The id of a registered schema."""

    id: int


class SubjectVersionPair(BaseModel):
    """A subject and version holding a schema."""

    subject: str
    version: int


class CompatibilityReply(BaseModel):
    """The result of a compatibility check; ``messages`` are filled with ``verbose``."""

    is_compatible: bool
    messages: list[str] = []


class ConfigReply(BaseModel):
    """A compatibility level, as GET and DELETE answer it."""

    compatibilityLevel: str


class ConfigUpdateReply(BaseModel):
    """A compatibility level, as PUT answers it."""

    compatibility: str


class ModeReply(BaseModel):
    """A registry mode."""

    mode: str


class RegistryErrorReply(BaseModel):
    """An error, in Confluent's shape: ``error_code`` refines the HTTP status (40401, ...)."""

    error_code: int = Field(description="Confluent's error code, e.g. 40401: subject not found.")
    message: str


_ERROR_MEANINGS = {
    400: "The body is not UTF-8 encoded JSON.",
    401: "No token, or one that is unknown, revoked or expired (40101).",
    403: "The token's role may not do this (40301), or the subject belongs to a domain that "
    "is not one of the caller's teams' (40306).",
    404: "No such subject, version, schema id or setting, or a reference to none (40401-40409).",
    409: "The schema is incompatible with the subject's compatibility level (409).",
    422: "Invalid schema, version, level, mode or request (42201-42206, 422); or a delete "
    "that would break a data product that is not retired (42205).",
}


def registry_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error answers a route can give, for its ``responses=`` in the OpenAPI document."""
    return {
        status: {"model": RegistryErrorReply, "description": _ERROR_MEANINGS[status]}
        for status in statuses
    }
