"""The descriptor: a data product defined as code (one YAML file per product).

Models are frozen and forbid unknown keys, so that a typo (``ownr:``) is an error rather than
a silently ignored setting. Fields that depend on earlier ones (``domain`` on ``name``,
the default ``retention`` on ``kind``, ``deprecation`` on ``status``) are checked by field
validators, so every problem of a file is reported in one pass with its own field path.
"""

from __future__ import annotations

import re
from datetime import date
from enum import IntEnum, StrEnum
from pathlib import PurePosixPath
from typing import Annotated, Any

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from streammesh.products.durations import Duration
from streammesh.products.names import (
    DomainName,
    ProductName,
    ProductReference,
    Slug,
    TeamName,
)
from streammesh.products.retention import Retention, RetentionField, RetentionMode
from streammesh.products.sizes import PartitionSize
from streammesh.schemas import SchemaType

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
Email = Annotated[str, StringConstraints(strip_whitespace=True, pattern=_EMAIL)]
_FIELD_PATH = r"^[A-Za-z_][A-Za-z0-9_]*(\[\]|\{\})?(\.[A-Za-z_][A-Za-z0-9_]*(\[\]|\{\})?)*$"
FieldPath = Annotated[str, StringConstraints(pattern=_FIELD_PATH)]
_REGION = r"^[a-z]{2}(-[a-z0-9]+)*$"
Region = Annotated[str, StringConstraints(pattern=_REGION)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Alignment(StrEnum):
    """Whose view of the world a product gives."""

    SOURCE = "source"
    """Facts of one business system, as they happen there."""
    AGGREGATE = "aggregate"
    """Several sources combined into a shared view of an entity."""
    CONSUMER = "consumer"
    """Shaped for one consuming use case."""


class EventKind(StrEnum):
    """What each event of the stream says. Commands are requests, not data products."""

    STATE = "state"
    """The full current state of an entity (the default kind for a product)."""
    DELTA = "delta"
    """What changed in an entity; consumers need the history to rebuild state."""
    MEASUREMENT = "measurement"
    """An observation at a point in time (a click, a reading, a price)."""
    NOTIFICATION = "notification"
    """A pointer that something happened, with little or no payload."""


class QualityTier(StrEnum):
    """How far a product has been cleaned and vouched for (bronze, silver, gold)."""

    RAW = "raw"
    CURATED = "curated"
    AUTHORITATIVE = "authoritative"


class SlaTier(IntEnum):
    """How much support a product gets when it breaks; 1 is the most."""

    CRITICAL = 1
    """Business critical: on call 24 hours a day, every day."""
    HIGH = 2
    """Extended hours support, same day response."""
    STANDARD = 3
    """Business hours support."""
    BEST_EFFORT = 4
    """Fixed the next business day or later."""


class SupportHours(StrEnum):
    """When the owning team answers a support request."""

    ALWAYS = "24x7"
    EXTENDED = "extended-hours"
    BUSINESS = "business-hours"
    BEST_EFFORT = "best-effort"


class KeyType(StrEnum):
    """The type of the event key, which decides the partition of each event."""

    STRING = "string"
    INT = "int"
    LONG = "long"
    UUID = "uuid"
    BYTES = "bytes"


class Classification(StrEnum):
    """Sensitivity labels of a field; governance policies and access grants act on them."""

    PII = "pii"
    FINANCIAL = "financial"
    CONFIDENTIAL = "confidential"
    RESTRICTED = "restricted"
    HEALTH = "health"


class Visibility(StrEnum):
    """Who a product is published for."""

    MESH = "mesh"
    """Every domain of the mesh: a cross-domain product (the default)."""
    DOMAIN = "domain"
    """The owning domain only: an internal product, e.g. a ``delta`` stream behind a state one."""


class PortKind(StrEnum):
    """Other modes in which the same product is served."""

    PARQUET = "parquet"
    TABLE = "table"
    REST = "rest"
    FILES = "files"


class Status(StrEnum):
    """Lifecycle stage: ``draft → published → deprecated → retired``."""

    DRAFT = "draft"
    PUBLISHED = "published"
    DEPRECATED = "deprecated"
    RETIRED = "retired"


class SchemaFormatName(StrEnum):
    """Schema formats as descriptors name them."""

    AVRO = "avro"
    JSON = "json"
    PROTOBUF = "protobuf"

    @property
    def schema_type(self) -> SchemaType:
        """The registry's name of this format."""
        return SchemaType(self.value.upper())


SCHEMA_EXTENSIONS = {
    ".avsc": SchemaFormatName.AVRO,
    ".json": SchemaFormatName.JSON,
    ".proto": SchemaFormatName.PROTOBUF,
}
"""File extensions from which a schema's format is known without saying it."""


class Owner(_Model):
    """The person accountable for the product (a team owns it; a person answers for it)."""

    name: Text = Field(description="Full name.", examples=["Ada Lovelace"])
    email: Email = Field(description="Work e-mail address.", examples=["ada@example.com"])


class Key(_Model):
    """The event key: the field of the value it comes from, and its type."""

    field: FieldPath = Field(description="Field of the event the key is taken from.")
    type: KeyType = Field(description="Type of the key.")


class SchemaRef(_Model):
    """Where the value schema lives (relative to the descriptor) and its format."""

    path: str = Field(description="Path of the schema file, relative to the descriptor.")
    format: SchemaFormatName = Field(
        description="Schema format; by default taken from the extension (.avsc, .json, .proto)."
    )

    @model_validator(mode="before")
    @classmethod
    def _format_from_extension(cls, data: Any) -> Any:
        if isinstance(data, str):
            data = {"path": data}
        if isinstance(data, dict) and "format" not in data and isinstance(data.get("path"), str):
            suffix = PurePosixPath(data["path"]).suffix.lower()
            if suffix not in SCHEMA_EXTENSIONS:
                raise ValueError(
                    f"cannot tell the format of '{data['path']}' from its extension; name the "
                    "file .avsc, .json or .proto, or write `schema: {path: ..., format: avro}`"
                )
            data = {**data, "format": SCHEMA_EXTENSIONS[suffix]}
        return data

    @field_validator("path")
    @classmethod
    def _relative(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("is empty; give the schema file's path, e.g. 'stocktrades.avsc'")
        if PurePosixPath(value).is_absolute() or re.match(r"^[A-Za-z]:[\\/]", value):
            raise ValueError(
                f"'{value}' is absolute; give the path relative to the descriptor file, "
                "so the product folder can move"
            )
        return value


class Sla(_Model):
    """The service level the owning team commits to."""

    tier: SlaTier = Field(
        description="1: critical, 24h on-call; 2: extended hours; 3: business hours; "
        "4: next business day."
    )
    freshness: Duration | None = Field(
        default=None,
        description="Longest time between an event happening and it being in the stream.",
    )
    availability: float | None = Field(
        default=None,
        gt=0,
        le=100,
        description="Share of time the stream is readable, in percent (e.g. 99.9).",
    )
    support_hours: SupportHours | None = Field(
        default=None, description="When support requests are answered."
    )
    contact: Text | None = Field(
        default=None,
        description="Where to ask for support (e-mail, chat channel or URL); default: the owner.",
    )


class Port(_Model):
    """Another mode of the same product, e.g. its daily Parquet files or a table."""

    name: Slug = Field(description="Port name, unique within the product.")
    kind: PortKind
    description: Text
    location: Text | None = Field(default=None, description="Where to find it (URL, path).")


class Links(_Model):
    """Documentation around the product."""

    docs: AnyHttpUrl | None = None
    faq: AnyHttpUrl | None = None
    repository: AnyHttpUrl | None = None
    runbook: AnyHttpUrl | None = None


class Deprecation(_Model):
    """Why a product is deprecated, until when it is served and what replaces it."""

    reason: Text
    sunset: date = Field(description="Last day the product is served (YYYY-MM-DD).")
    replacement: ProductReference | None = Field(
        default=None, description="The product to move to, e.g. 'execution.stocktrades.v2'."
    )


_DEPRECATED = (Status.DEPRECATED, Status.RETIRED)


def _default_retention(kind: EventKind | None) -> Retention:
    # State streams need only the latest event per key to rebuild state; other kinds lose
    # meaning when history is dropped, so they keep it all unless the owner says otherwise.
    if kind is EventKind.STATE:
        return Retention(RetentionMode.COMPACTED)
    return Retention(RetentionMode.FULL_HISTORY)


class Descriptor(_Model):
    """A data product's contract: identity, ownership, stream settings, SLA and governance."""

    model_config = ConfigDict(
        title="streammesh data product descriptor",
        json_schema_extra={"additionalProperties": False},
    )

    name: ProductName = Field(
        description="'<domain>.<product>', lowercase.", examples=["execution.stocktrades"]
    )
    domain: DomainName = Field(
        default=None,
        validate_default=True,
        description="The domain; must be the first part of the name (and defaults to it).",
    )
    owner: Owner = Field(description="The accountable person.")
    team: TeamName = Field(description="The owning team.", examples=["trading-platform"])
    description: Text = Field(description="What the product is, for someone who searches for it.")
    tags: tuple[Slug, ...] = Field(default=(), description="Search keywords, lowercase.")
    alignment: Alignment
    kind: EventKind
    key: Key
    schema_: Annotated[
        SchemaRef, BeforeValidator(lambda value: value, json_schema_input_type=str | SchemaRef)
    ] = Field(
        alias="schema",
        description="The value schema: a path (format from the extension) or {path, format}.",
    )
    version: int = Field(default=1, ge=1, description="Major version; the topic is <name>.v<N>.")
    partitions: PartitionSize = Field(
        default=PartitionSize.S,
        description="T-shirt size: xs=1, s=4, m=8, l=16, xl=32, xxl=64, jumbo=256.",
    )
    retention: RetentionField = Field(
        default=None,
        validate_default=True,
        description="recent:<duration>, compacted or full-history; default: compacted for "
        "state events, full-history otherwise.",
    )
    sla: Sla
    quality: QualityTier = QualityTier.RAW
    classifications: dict[FieldPath, tuple[Classification, ...]] = Field(
        default_factory=dict, description="Field path -> sensitivity labels, e.g. {email: [pii]}."
    )
    regions: tuple[Region, ...] = Field(
        default=(), description="Regions where the data may be stored; empty: no restriction."
    )
    upstreams: tuple[ProductReference, ...] = Field(
        default=(), description="Products this one is derived from."
    )
    visibility: Visibility = Field(
        default=Visibility.MESH,
        description="mesh: offered to every domain (cross-domain); domain: the owning "
        "domain's internal product.",
    )
    ports: tuple[Port, ...] = ()
    links: Links = Field(default_factory=Links)
    status: Status = Status.DRAFT
    deprecation: Deprecation | None = Field(
        default=None,
        validate_default=True,
        description="Required when status is deprecated or retired.",
    )

    @field_validator("domain", mode="before")
    @classmethod
    def _domain_of_name(cls, value: Any, info: ValidationInfo) -> Any:
        name = info.data.get("name")
        if not isinstance(name, str):
            # The name is missing or invalid, which is reported already; stay quiet.
            return value if value is not None else "unknown"
        expected = name.split(".", 1)[0]
        if value is None:
            return expected
        if value != expected:
            raise ValueError(
                f"'{value}' does not match the name '{name}'; set domain to '{expected}' "
                "or leave it out"
            )
        return value

    @field_validator("retention", mode="before")
    @classmethod
    def _retention_by_kind(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            return _default_retention(info.data.get("kind"))
        return value

    @field_validator("tags", "regions", "upstreams")
    @classmethod
    def _unique(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        seen: set[str] = set()
        for value in values:
            if value in seen:
                raise ValueError(f"'{value}' is listed twice; list each once")
            seen.add(value)
        return values

    @field_validator("upstreams")
    @classmethod
    def _not_self(cls, values: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        name = info.data.get("name")
        for value in values:
            if name is not None and (value == name or value.startswith(f"{name}.v")):
                raise ValueError(f"'{value}' is this product; a product cannot derive from itself")
        return values

    @field_validator("ports")
    @classmethod
    def _unique_ports(cls, ports: tuple[Port, ...]) -> tuple[Port, ...]:
        names = [port.name for port in ports]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"port name '{name}' is used twice; give each port its own name")
        return ports

    @field_validator("deprecation")
    @classmethod
    def _deprecation_matches_status(
        cls, value: Deprecation | None, info: ValidationInfo
    ) -> Deprecation | None:
        status = info.data.get("status")
        if status in _DEPRECATED and value is None:
            raise ValueError(
                f"is required when status is '{status}'; add `deprecation: {{reason: ..., "
                "sunset: YYYY-MM-DD, replacement: ...}`"
            )
        if status not in _DEPRECATED and status is not None and value is not None:
            raise ValueError(
                f"is only allowed when status is deprecated or retired (it is '{status}'); "
                "remove it or change the status"
            )
        name = info.data.get("name")
        version = info.data.get("version")
        if value is not None and value.replacement in (name, f"{name}.v{version}"):
            raise ValueError("replacement names this product itself; name the product to move to")
        return value

    @property
    def schema_ref(self) -> SchemaRef:
        """The value schema's file and format."""
        return self.schema_

    @property
    def topic(self) -> str:
        """The stream's topic: ``<name>.v<version>``."""
        return f"{self.name}.v{self.version}"

    @property
    def partition_count(self) -> int:
        """Partitions of the topic, from the T-shirt size."""
        return self.partitions.partitions

    @property
    def support_contact(self) -> str:
        """Where to ask for support: the SLA contact, else the owner's e-mail."""
        return self.sla.contact or self.owner.email
