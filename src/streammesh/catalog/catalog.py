"""``Catalog``: the searchable list of data products, kept in the metadata store."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from streammesh.catalog import facets as facet_counts
from streammesh.catalog import postgres_index, sqlite_index
from streammesh.catalog.document import SearchDocument
from streammesh.catalog.entry import CatalogEntry
from streammesh.catalog.errors import InvalidSearch, ProductNotInCatalog
from streammesh.catalog.model import Facet, SearchHit, SearchResult
from streammesh.catalog.tables import entries
from streammesh.catalog.tables import tags as entry_tags
from streammesh.catalog.terms import query_terms
from streammesh.products import (
    HIDDEN_FROM_DEFAULT_SEARCH,
    Alignment,
    EventKind,
    QualityTier,
    SlaTier,
    Status,
)
from streammesh.schemas import SchemaField
from streammesh.store import MetadataStore

_LOCK = "catalog"
MAX_LIMIT = 1000
"""The most hits one search returns per page."""

Values = str | Iterable[str] | None
"""A filter: one value, several (any of them matches) or ``None`` (no filter)."""

_HIDDEN_BY_DEFAULT = sorted(status.value for status in HIDDEN_FROM_DEFAULT_SEARCH)


class Catalog:
    """The catalog of data products: upsert entries, look them up, search them.

    Full-text search covers names, tags, descriptions, owners and teams, schema field names
    and field docs, ranked so that name and tag matches come before description matches,
    which come before matches in owners and field names, then field docs. Deprecated
    products are hidden unless asked for; retired ones unless their status is asked for.

    Example:
        >>> catalog = Catalog(open_store(url))
        >>> catalog.upsert(CatalogEntry.from_descriptor(descriptor, schema.fields()))
        >>> catalog.search("stock", domain="execution").hits[0].name
        'execution.stocktrades'
    """

    def __init__(self, store: MetadataStore) -> None:
        self._store = store

    def upsert(self, entry: CatalogEntry) -> None:
        """Add ``entry``, or replace the entry of the same name and version, with its index
        text, in one transaction (a search never sees one without the other)."""
        self.upsert_many([entry])

    def upsert_many(self, entries_: Iterable[CatalogEntry]) -> None:
        """Upsert several entries in one transaction: all of them or, on error, none."""
        with self._store.write(_LOCK) as connection:
            for entry in entries_:
                self.upsert_in(connection, entry)

    def upsert_in(self, connection: Connection, entry: CatalogEntry) -> None:
        """Upsert ``entry`` inside the caller's transaction on this catalog's store, so that
        the entry commits together with the change it reflects (e.g. a product's state)."""
        row = _row_of(entry)
        entry_id = connection.execute(
            sa.select(entries.c.id).where(
                entries.c.name == entry.name, entries.c.version == entry.version
            )
        ).scalar_one_or_none()
        if entry_id is None:
            entry_id = connection.execute(
                sa.insert(entries).values(row).returning(entries.c.id)
            ).scalar_one()
        else:
            connection.execute(sa.update(entries).where(entries.c.id == entry_id).values(row))
            connection.execute(sa.delete(entry_tags).where(entry_tags.c.entry_id == entry_id))
        if entry.tags:
            rows = [{"entry_id": entry_id, "tag": tag} for tag in entry.tags]
            connection.execute(sa.insert(entry_tags), rows)
        document = SearchDocument.of(entry)
        if self._store.backend == "sqlite":
            sqlite_index.write(connection, entry_id, document)
        else:
            postgres_index.write(connection, entry_id, document)

    def remove(self, name: str, version: int | None = None) -> None:
        """Remove the product's entry of ``version``, or of every version when ``None``.

        Raises:
            ProductNotInCatalog: there is no such entry.
        """
        with self._store.write(_LOCK) as connection:
            ids = list(
                connection.execute(
                    sa.select(entries.c.id).where(*_identity(name, version))
                ).scalars()
            )
            if not ids:
                raise ProductNotInCatalog(name, version)
            if self._store.backend == "sqlite":
                sqlite_index.delete(connection, ids)
            connection.execute(sa.delete(entry_tags).where(entry_tags.c.entry_id.in_(ids)))
            connection.execute(sa.delete(entries).where(entries.c.id.in_(ids)))

    def get(self, name: str, version: int | None = None) -> CatalogEntry:
        """The product's entry of ``version``, or of its highest version when ``None``.

        Raises:
            ProductNotInCatalog: there is no such entry.
        """
        with self._store.read() as connection:
            row = connection.execute(
                sa.select(entries)
                .where(*_identity(name, version))
                .order_by(entries.c.version.desc())
                .limit(1)
            ).one_or_none()
        if row is None:
            raise ProductNotInCatalog(name, version)
        return _entry_of(row)

    def search(
        self,
        query: str = "",
        *,
        domain: Values = None,
        owner: Values = None,
        team: Values = None,
        tags: Values = None,
        quality: Values = None,
        sla_tier: int | Iterable[int] | None = None,
        alignment: Values = None,
        status: Values = None,
        include_deprecated: bool = False,
        limit: int = 20,
        offset: int = 0,
    ) -> SearchResult:
        """Product versions matching ``query`` and the filters, best first, with facet counts.

        Args:
            query: Free text. Every word must match (the last one also as a prefix, so
                ``stock`` finds ``stocktrades``); punctuation and operators are ignored.
                Empty (or only punctuation): every product, by name.
            domain: Keep products of this domain (or of any of these).
            owner: Keep products whose owner has this e-mail address or name.
            team: Keep products of this owning team.
            tags: Keep products that carry every one of these tags.
            quality: Keep products of this quality tier.
            sla_tier: Keep products of this SLA tier (1-4).
            alignment: Keep products of this alignment.
            status: Keep products in this lifecycle status; naming ``deprecated`` or
                ``retired`` here is how to find retired products.
            include_deprecated: Also list deprecated products (hidden by default).
            limit: Hits per page, 1 to ``MAX_LIMIT``.
            offset: Hits to skip.

        Raises:
            InvalidSearch: ``limit`` or ``offset`` out of range.
        """
        _check_page(limit, offset)
        conditions = _filters(
            domain=_values(domain),
            owner=_values(owner),
            team=_values(team),
            quality=_values(quality),
            sla_tier=_values(sla_tier),
            alignment=_values(alignment),
            tags=_values(tags),
        )
        conditions.append(_status_condition(_values(status), include_deprecated))
        source, text_condition, score = self._text_match(query_terms(query))
        if text_condition is not None:
            conditions = [text_condition, *conditions]
        with self._store.read() as connection:
            # Paging and counting happen in the database: only the page and the distinct
            # facet values reach Python, not every match (thousands for a broad query).
            facets = facet_counts.count(connection, source, conditions)
            total = sum(facets[Facet.STATUS].values())  # every entry has exactly one status
            page = (
                _page(connection, source, conditions, score, limit=limit, offset=offset)
                if offset < total
                else []
            )
        return SearchResult(
            hits=tuple(_hit_of(row) for row in page),
            total=total,
            facets=facets,
            limit=limit,
            offset=offset,
        )

    def _text_match(
        self, terms: list[str]
    ) -> tuple[sa.FromClause, sa.ColumnElement[bool] | None, sa.ColumnElement[float]]:
        """The entries joined to the text index, the condition that every term matches, and
        the relevance score; with no terms, the entries alone, no condition and score 0."""
        if not terms:
            return entries, None, sa.literal(0.0, sa.Float)
        if self._store.backend == "sqlite":
            return sqlite_index.matching(entries, entries.c.id, terms)
        return postgres_index.matching(entries, terms)


def _check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidSearch(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
    if offset < 0:
        raise InvalidSearch(f"offset must be 0 or more, not {offset}")


def _status_condition(
    statuses: tuple[str, ...], include_deprecated: bool
) -> sa.ColumnElement[bool]:
    if statuses:
        return entries.c.status.in_(statuses)
    if include_deprecated:
        return entries.c.status != Status.RETIRED.value
    return entries.c.status.not_in(_HIDDEN_BY_DEFAULT)


def _page(
    connection: Connection,
    source: sa.FromClause,
    conditions: list[sa.ColumnElement[bool]],
    score: sa.ColumnElement[float],
    *,
    limit: int,
    offset: int,
) -> Sequence[Row[Any]]:
    return connection.execute(
        sa.select(
            entries.c.name,
            entries.c.version,
            entries.c.description,
            entries.c.domain,
            entries.c.status,
            score.label("score"),
        )
        .select_from(source)
        .where(*conditions)
        .order_by(sa.desc("score"), entries.c.name, entries.c.version.desc())
        .limit(limit)
        .offset(offset)
    ).all()


def _hit_of(row: Row[Any]) -> SearchHit:
    return SearchHit(
        name=row.name,
        version=row.version,
        description=row.description,
        domain=row.domain,
        status=Status(row.status),
        score=float(row.score),
    )


def _values(value: str | int | Iterable[str] | Iterable[int] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str | int):
        return (str(value),)
    return tuple(str(item) for item in value)


def _filters(
    *,
    domain: tuple[str, ...],
    owner: tuple[str, ...],
    team: tuple[str, ...],
    quality: tuple[str, ...],
    sla_tier: tuple[str, ...],
    alignment: tuple[str, ...],
    tags: tuple[str, ...],
) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    for column, values in (
        (entries.c.domain, domain),
        (entries.c.team, team),
        (entries.c.quality, quality),
        (entries.c.alignment, alignment),
    ):
        if values:
            conditions.append(column.in_(values))
    if sla_tier:
        try:
            tiers = [int(tier) for tier in sla_tier]
        except ValueError as exc:
            raise InvalidSearch(f"SLA tiers are numbers 1 to 4, not {list(sla_tier)}") from exc
        conditions.append(entries.c.sla_tier.in_(tiers))
    if owner:
        conditions.append(sa.or_(entries.c.owner_email.in_(owner), entries.c.owner_name.in_(owner)))
    for tag in tags:
        conditions.append(
            sa.exists(
                sa.select(entry_tags.c.entry_id).where(
                    entry_tags.c.entry_id == entries.c.id, entry_tags.c.tag == tag
                )
            )
        )
    return conditions


def _identity(name: str, version: int | None) -> list[sa.ColumnElement[bool]]:
    conditions = [entries.c.name == name]
    if version is not None:
        conditions.append(entries.c.version == version)
    return conditions


def _row_of(entry: CatalogEntry) -> dict[str, Any]:
    return {
        "name": entry.name,
        "version": entry.version,
        "domain": entry.domain,
        "owner_name": entry.owner_name,
        "owner_email": entry.owner_email,
        "team": entry.team,
        "description": entry.description,
        "tags": " ".join(entry.tags),
        "quality": entry.quality.value,
        "sla_tier": int(entry.sla_tier),
        "alignment": entry.alignment.value,
        "kind": entry.kind.value,
        "status": entry.status.value,
        "topic": entry.topic,
        "fields": json.dumps([[f.path, f.type, f.doc] for f in entry.fields]),
        "updated_at": datetime.now(UTC),
    }


def _entry_of(row: Row[*tuple[Any, ...]]) -> CatalogEntry:
    return CatalogEntry(
        name=row.name,
        domain=row.domain,
        owner_name=row.owner_name,
        owner_email=row.owner_email,
        team=row.team,
        description=row.description,
        tags=tuple(row.tags.split(" ")) if row.tags else (),
        quality=QualityTier(row.quality),
        sla_tier=SlaTier(row.sla_tier),
        alignment=Alignment(row.alignment),
        kind=EventKind(row.kind),
        status=Status(row.status),
        version=row.version,
        topic=row.topic,
        fields=tuple(SchemaField(path, type_, doc) for path, type_, doc in json.loads(row.fields)),
    )
