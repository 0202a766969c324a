"""Row-level reads and writes of the registry tables, on a connection the caller holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from streammesh.registry import tables
from streammesh.registry.base import SchemaReference
from streammesh.schemas import SchemaType


@dataclass(frozen=True, slots=True)
class VersionRow:
    subject: str
    version: int
    schema_id: int
    deleted: bool


@dataclass(frozen=True, slots=True)
class SchemaRow:
    id: int
    schema_type: SchemaType
    text: str
    references: tuple[SchemaReference, ...]


def subject_versions(connection: Connection, subject: str) -> list[VersionRow]:
    """Every version of ``subject``, soft-deleted ones included, ascending."""
    v = tables.versions.c
    rows = connection.execute(
        sa.select(v.subject, v.version, v.schema_id, v.deleted)
        .where(v.subject == subject)
        .order_by(v.version)
    )
    return [VersionRow(r.subject, r.version, r.schema_id, bool(r.deleted)) for r in rows]


def versions_of_schema(connection: Connection, schema_id: int) -> list[VersionRow]:
    """Every (subject, version) holding ``schema_id``, soft-deleted ones included."""
    v = tables.versions.c
    rows = connection.execute(
        sa.select(v.subject, v.version, v.schema_id, v.deleted)
        .where(v.schema_id == schema_id)
        .order_by(v.subject, v.version)
    )
    return [VersionRow(r.subject, r.version, r.schema_id, bool(r.deleted)) for r in rows]


def all_subjects(connection: Connection, *, deleted: bool) -> list[str]:
    """Subjects with a live version (or any version, with ``deleted``), sorted."""
    v = tables.versions.c
    query = sa.select(v.subject).distinct()
    if not deleted:
        query = query.where(v.deleted.is_(False))
    return sorted(connection.scalars(query))


def schema_row(connection: Connection, schema_id: int) -> SchemaRow | None:
    """The schema ``schema_id`` with its references, or ``None``."""
    s = tables.schemas.c
    row = connection.execute(
        sa.select(s.id, s.schema_type, s.schema_text).where(s.id == schema_id)
    ).first()
    if row is None:
        return None
    r = tables.schema_references.c
    references = connection.execute(
        sa.select(r.name, r.subject, r.version).where(r.schema_id == schema_id).order_by(r.position)
    )
    return SchemaRow(
        row.id,
        SchemaType(row.schema_type),
        row.schema_text,
        tuple(SchemaReference(ref.name, ref.subject, ref.version) for ref in references),
    )


def schema_id_by_identity(connection: Connection, identity: str) -> int | None:
    """The id of the schema with this identity, if it was ever registered."""
    s = tables.schemas.c
    found: int | None = connection.scalar(sa.select(s.id).where(s.identity == identity))
    return found


def insert_schema(
    connection: Connection,
    *,
    schema_type: SchemaType,
    identity: str,
    fingerprint: str,
    text: str,
    references: tuple[SchemaReference, ...],
) -> int:
    """Store a new schema and its references; returns its new id."""
    result = connection.execute(
        tables.schemas.insert().values(
            schema_type=schema_type.value,
            identity=identity,
            fingerprint=fingerprint,
            schema_text=text,
            created_at=datetime.now(UTC),
        )
    )
    (schema_id,) = result.inserted_primary_key or (None,)
    if not isinstance(schema_id, int):
        raise TypeError("the database returned no id for the new schema")
    if references:
        connection.execute(
            tables.schema_references.insert(),
            [
                {
                    "schema_id": schema_id,
                    "position": position,
                    "name": ref.name,
                    "subject": ref.subject,
                    "version": ref.version,
                }
                for position, ref in enumerate(references)
            ],
        )
    return schema_id


def insert_version(connection: Connection, subject: str, version: int, schema_id: int) -> None:
    connection.execute(
        tables.versions.insert().values(
            subject=subject,
            version=version,
            schema_id=schema_id,
            deleted=False,
            created_at=datetime.now(UTC),
        )
    )


def soft_delete_versions(connection: Connection, subject: str, numbers: list[int]) -> None:
    v = tables.versions.c
    connection.execute(
        tables.versions.update()
        .where(v.subject == subject, v.version.in_(numbers))
        .values(deleted=True)
    )


def delete_versions(connection: Connection, subject: str, numbers: list[int]) -> None:
    v = tables.versions.c
    connection.execute(tables.versions.delete().where(v.subject == subject, v.version.in_(numbers)))


def referrers(connection: Connection, subject: str, version: int) -> list[int]:
    """Ids of schemas that reference ``subject`` version ``version`` and are still live
    under some subject (a soft-deleted referrer no longer holds the reference)."""
    r = tables.schema_references.c
    v = tables.versions.c
    query = (
        sa.select(r.schema_id)
        .distinct()
        .join(tables.versions, v.schema_id == r.schema_id)
        .where(r.subject == subject, r.version == version, v.deleted.is_(False))
        .order_by(r.schema_id)
    )
    return list(connection.scalars(query))


def setting(connection: Connection, scope: str, column: str) -> str | None:
    """The ``column`` ("compatibility" or "mode") set for ``scope``, if any."""
    value: str | None = connection.scalar(
        sa.select(tables.settings.c[column]).where(tables.settings.c.subject == scope)
    )
    return value


def put_setting(connection: Connection, scope: str, column: str, value: str | None) -> None:
    """Set (or with ``None`` clear) ``column`` for ``scope``; called under the write lock, so
    a select-then-write upsert cannot race."""
    s = tables.settings.c
    exists = connection.scalar(sa.select(sa.func.count()).where(s.subject == scope))
    if exists:
        connection.execute(
            tables.settings.update().where(s.subject == scope).values({column: value})
        )
    elif value is not None:
        connection.execute(tables.settings.insert().values({"subject": scope, column: value}))


def clear_settings(connection: Connection, scope: str) -> None:
    connection.execute(tables.settings.delete().where(tables.settings.c.subject == scope))
