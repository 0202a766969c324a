"""Reading and writing the control plane's rows inside a caller's transaction.

Every function takes the connection of a transaction the caller opened, so that a product's
state, its catalog entry and the audit record of the change commit together or not at all.
"""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from streammesh.control.records import (
    ApplicationRecord,
    ApplicationRole,
    DomainRecord,
    ProductRecord,
    TeamRecord,
)
from streammesh.control.tables import applications, domains, products, teams
from streammesh.products import Deprecation, Descriptor, Status


def product(connection: Connection, name: str, version: int) -> ProductRecord | None:
    """The stored product version, or ``None``."""
    row = (
        connection.execute(
            sa.select(products).where(products.c.name == name, products.c.version == version)
        )
        .mappings()
        .one_or_none()
    )
    return _product(row) if row is not None else None


def product_versions(connection: Connection, name: str) -> list[ProductRecord]:
    """Every stored version of product ``name``, lowest first."""
    rows = connection.execute(
        sa.select(products).where(products.c.name == name).order_by(products.c.version)
    ).mappings()
    return [_product(row) for row in rows]


def all_products(
    connection: Connection, *, domain: str | None = None, statuses: frozenset[Status] | None = None
) -> list[ProductRecord]:
    """Every stored product version, by name then version, optionally filtered."""
    query = sa.select(products).order_by(products.c.name, products.c.version)
    if domain is not None:
        query = query.where(products.c.domain == domain)
    if statuses is not None:
        query = query.where(products.c.status.in_(sorted(status.value for status in statuses)))
    return [_product(row) for row in connection.execute(query).mappings()]


def product_names(connection: Connection) -> list[str]:
    """The distinct names of stored products (for "did you mean" hints)."""
    return list(connection.execute(sa.select(products.c.name).distinct()).scalars())


def save_product(connection: Connection, record: ProductRecord) -> None:
    """Insert or replace the row of ``record``'s product version."""
    values = {
        "domain": record.descriptor.domain,
        "team": record.descriptor.team,
        "topic": record.topic,
        "status": record.status.value,
        "status_since": record.status_since,
        "deprecation": (
            record.deprecation.model_dump_json() if record.deprecation is not None else None
        ),
        "forced_by": record.forced_by,
        "replaced_by": record.replaced_by,
        "descriptor": record.descriptor.model_dump_json(by_alias=True),
        "schema_id": record.schema_id,
        "schema_version": record.schema_version,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
    }
    updated = connection.execute(
        sa.update(products)
        .where(products.c.name == record.name, products.c.version == record.version)
        .values(values)
    ).rowcount
    if not updated:
        connection.execute(
            sa.insert(products).values(name=record.name, version=record.version, **values)
        )


def _product(row: RowMapping) -> ProductRecord:
    deprecation = row["deprecation"]
    return ProductRecord(
        descriptor=Descriptor.model_validate(json.loads(row["descriptor"])),
        status=Status(row["status"]),
        status_since=row["status_since"],
        deprecation=Deprecation.model_validate_json(deprecation) if deprecation else None,
        forced_by=row["forced_by"],
        replaced_by=row["replaced_by"],
        schema_id=row["schema_id"],
        schema_version=row["schema_version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def domain(connection: Connection, name: str) -> DomainRecord | None:
    """The registered domain ``name``, or ``None``."""
    row = connection.execute(sa.select(domains).where(domains.c.name == name)).mappings()
    found = row.one_or_none()
    return DomainRecord(**found) if found is not None else None


def all_domains(connection: Connection) -> list[DomainRecord]:
    """Every registered domain, by name."""
    rows = connection.execute(sa.select(domains).order_by(domains.c.name)).mappings()
    return [DomainRecord(**row) for row in rows]


def save_domain(connection: Connection, record: DomainRecord) -> None:
    """Insert or replace a domain's row."""
    connection.execute(sa.delete(domains).where(domains.c.name == record.name))
    connection.execute(
        sa.insert(domains).values(
            name=record.name,
            description=record.description,
            created_at=record.created_at,
            created_by=record.created_by,
        )
    )


def team(connection: Connection, name: str) -> TeamRecord | None:
    """The registered team ``name``, or ``None``."""
    row = connection.execute(sa.select(teams).where(teams.c.name == name)).mappings()
    found = row.one_or_none()
    return TeamRecord(**found) if found is not None else None


def all_teams(connection: Connection, *, domain_name: str | None = None) -> list[TeamRecord]:
    """Every registered team (of one domain), by name."""
    query = sa.select(teams).order_by(teams.c.name)
    if domain_name is not None:
        query = query.where(teams.c.domain == domain_name)
    return [TeamRecord(**row) for row in connection.execute(query).mappings()]


def save_team(connection: Connection, record: TeamRecord) -> None:
    """Insert or replace a team's row."""
    connection.execute(sa.delete(teams).where(teams.c.name == record.name))
    connection.execute(
        sa.insert(teams).values(
            name=record.name,
            domain=record.domain,
            email=record.email,
            description=record.description,
            created_at=record.created_at,
            created_by=record.created_by,
        )
    )


def application(
    connection: Connection, reference: tuple[str, int], name: str, role: ApplicationRole
) -> ApplicationRecord | None:
    """The registration of application ``name`` with product version ``reference``."""
    product_name, version = reference
    row = (
        connection.execute(
            sa.select(applications).where(
                applications.c.product == product_name,
                applications.c.version == version,
                applications.c.name == name,
                applications.c.role == role.value,
            )
        )
        .mappings()
        .one_or_none()
    )
    return _application(row) if row is not None else None


def product_applications(
    connection: Connection, name: str, version: int | None = None
) -> list[ApplicationRecord]:
    """The applications registered with product ``name`` (one version, or all)."""
    query = (
        sa.select(applications)
        .where(applications.c.product == name)
        .order_by(applications.c.version, applications.c.role, applications.c.name)
    )
    if version is not None:
        query = query.where(applications.c.version == version)
    return [_application(row) for row in connection.execute(query).mappings()]


def save_application(connection: Connection, record: ApplicationRecord) -> None:
    """Insert or replace an application's registration."""
    key = (
        applications.c.product == record.product,
        applications.c.version == record.version,
        applications.c.name == record.name,
        applications.c.role == record.role.value,
    )
    connection.execute(sa.delete(applications).where(*key))
    connection.execute(
        sa.insert(applications).values(
            product=record.product,
            version=record.version,
            name=record.name,
            role=record.role.value,
            consumer_group=record.group,
            principal=record.principal,
            first_seen=record.first_seen,
            last_seen=record.last_seen,
        )
    )


def touch_application(
    connection: Connection, record: ApplicationRecord, seen: datetime
) -> ApplicationRecord:
    """Record that the application was seen at ``seen``."""
    connection.execute(
        sa.update(applications)
        .where(
            applications.c.product == record.product,
            applications.c.version == record.version,
            applications.c.name == record.name,
            applications.c.role == record.role.value,
        )
        .values(last_seen=seen)
    )
    return ApplicationRecord(
        record.product,
        record.version,
        record.name,
        record.role,
        record.group,
        record.principal,
        record.first_seen,
        seen,
    )


def _application(row: RowMapping) -> ApplicationRecord:
    return ApplicationRecord(
        product=row["product"],
        version=row["version"],
        name=row["name"],
        role=ApplicationRole(row["role"]),
        group=row["consumer_group"],
        principal=row["principal"],
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
    )
