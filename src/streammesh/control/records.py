"""What the control plane stores, as read back: product versions, domains, teams, applications."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from streammesh.control.contract import ProductContract
from streammesh.products import Deprecation, Descriptor, LifecycleState, Status
from streammesh.registry import subject_for


@dataclass(frozen=True, slots=True)
class ProductRecord:
    """One product version as ``apply`` and the lifecycle commands left it.

    Attributes:
        descriptor: The descriptor last applied (its ``status`` field is what the owners wrote;
            :attr:`status` is where the product really is, e.g. after ``streammesh deprecate``).
        status: Lifecycle stage, since :attr:`status_since`.
        deprecation: Reason, sunset and replacement when deprecated or retired.
        forced_by: Who retired it although consumers were active.
        replaced_by: The next major version (``<name>.v<N+1>``) once one is applied.
        schema_id: Global registry id of the value schema applied last.
        schema_version: Its version under the value subject.
    """

    descriptor: Descriptor
    status: Status
    status_since: datetime
    deprecation: Deprecation | None
    forced_by: str | None
    replaced_by: str | None
    schema_id: int
    schema_version: int
    created_at: datetime
    updated_at: datetime

    @property
    def name(self) -> str:
        return self.descriptor.name

    @property
    def version(self) -> int:
        return self.descriptor.version

    @property
    def topic(self) -> str:
        return self.descriptor.topic

    @property
    def reference(self) -> str:
        """``<name>.v<version>``."""
        return self.descriptor.topic

    @property
    def value_subject(self) -> str:
        return subject_for(self.topic)

    @property
    def lifecycle(self) -> LifecycleState:
        """The lifecycle rules' view of this product."""
        return LifecycleState(
            product=self.name,
            version=self.version,
            status=self.status,
            since=self.status_since,
            deprecation=self.deprecation,
            forced_by=self.forced_by,
        )

    @property
    def contract(self) -> ProductContract:
        """What producers and consumers of this version need."""
        return ProductContract(
            name=self.name,
            version=self.version,
            topic=self.topic,
            value_subject=self.value_subject,
            key_field=self.descriptor.key.field,
            key_type=self.descriptor.key.type,
            kind=self.descriptor.kind,
            status=self.status,
            team=self.descriptor.team,
        )

    def document(self) -> dict[str, Any]:
        """The JSON shape of the record in the REST API and ``--json`` output."""
        return {
            "name": self.name,
            "version": self.version,
            "reference": self.reference,
            "topic": self.topic,
            "value_subject": self.value_subject,
            "domain": self.descriptor.domain,
            "team": self.descriptor.team,
            "owner": self.descriptor.owner.model_dump(mode="json"),
            "description": self.descriptor.description,
            "status": self.status.value,
            "status_since": self.status_since.isoformat(),
            "deprecation": (
                self.deprecation.model_dump(mode="json") if self.deprecation is not None else None
            ),
            "forced_by": self.forced_by,
            "replaced_by": self.replaced_by,
            "schema": {"id": self.schema_id, "version": self.schema_version},
            "descriptor": self.descriptor.model_dump(mode="json", by_alias=True),
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class DomainRecord:
    """A registered domain: a business area owned by one or more teams."""

    name: str
    description: str | None
    created_at: datetime
    created_by: str

    def document(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
        }


@dataclass(frozen=True, slots=True)
class TeamRecord:
    """A registered team: owns products of a domain."""

    name: str
    domain: str | None
    email: str | None
    description: str | None
    created_at: datetime
    created_by: str

    def document(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "domain": self.domain,
            "email": self.email,
            "description": self.description,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
        }


class ApplicationRole(StrEnum):
    """What an application does with a product."""

    CONSUMER = "consumer"
    PRODUCER = "producer"


@dataclass(frozen=True, slots=True)
class ApplicationRecord:
    """An application registered with a product version (by the SDK or the REST API)."""

    product: str
    version: int
    name: str
    role: ApplicationRole
    group: str | None
    principal: str
    first_seen: datetime
    last_seen: datetime

    @property
    def reference(self) -> str:
        return f"{self.product}.v{self.version}"

    def document(self, *, active: bool) -> dict[str, Any]:
        return {
            "product": self.reference,
            "application": self.name,
            "role": self.role.value,
            "group": self.group,
            "principal": self.principal,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "active": active,
        }


def product_from_document(document: dict[str, Any]) -> ProductRecord:
    """A :class:`ProductRecord` back from :meth:`ProductRecord.document` (REST clients)."""
    deprecation = document.get("deprecation")
    return ProductRecord(
        descriptor=Descriptor.model_validate(document["descriptor"]),
        status=Status(document["status"]),
        status_since=datetime.fromisoformat(document["status_since"]),
        deprecation=Deprecation.model_validate(deprecation) if deprecation else None,
        forced_by=document.get("forced_by"),
        replaced_by=document.get("replaced_by"),
        schema_id=int(document["schema"]["id"]),
        schema_version=int(document["schema"]["version"]),
        created_at=datetime.fromisoformat(document["created_at"]),
        updated_at=datetime.fromisoformat(document["updated_at"]),
    )


def application_from_document(document: dict[str, Any]) -> tuple[ApplicationRecord, bool]:
    """An application and whether it is active, back from :meth:`ApplicationRecord.document`."""
    name, _, version = str(document["product"]).rpartition(".v")
    record = ApplicationRecord(
        product=name,
        version=int(version),
        name=document["application"],
        role=ApplicationRole(document["role"]),
        group=document.get("group"),
        principal=document["principal"],
        first_seen=datetime.fromisoformat(document["first_seen"]),
        last_seen=datetime.fromisoformat(document["last_seen"]),
    )
    return record, bool(document["active"])


def domain_from_document(document: dict[str, Any]) -> DomainRecord:
    """A domain back from :meth:`DomainRecord.document`."""
    return DomainRecord(
        document["name"],
        document.get("description"),
        datetime.fromisoformat(document["created_at"]),
        document["created_by"],
    )


def team_from_document(document: dict[str, Any]) -> TeamRecord:
    """A team back from :meth:`TeamRecord.document`."""
    return TeamRecord(
        document["name"],
        document.get("domain"),
        document.get("email"),
        document.get("description"),
        datetime.fromisoformat(document["created_at"]),
        document["created_by"],
    )
