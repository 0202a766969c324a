"""The PostgreSQL full-text index: a weighted ``tsvector`` column, GIN-indexed, ``ts_rank``."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from streammesh.catalog.document import SearchDocument

# The 'simple' configuration: the text is already split and folded by catalog.terms, and
# no stemming or stop words keeps both backends matching the same products.
_VECTOR: sa.ColumnClause[object] = sa.literal_column("catalog_entries.search_vector")
_WEIGHTED = {
    "name": "A",
    "tags": "A",
    "description": "B",
    "people": "C",
    "field_names": "C",
    "field_docs": "D",
}
_UPDATE = sa.text(
    "UPDATE catalog_entries SET search_vector = "
    + " || ".join(
        f"setweight(to_tsvector('simple', :{column}), '{weight}')"
        for column, weight in _WEIGHTED.items()
    )
    + " WHERE id = :id"
)
# ts_rank weights in the order {D, C, B, A}.
_RANK_WEIGHTS: sa.ColumnClause[object] = sa.literal_column("'{0.05, 0.15, 0.4, 1.0}'::float4[]")


def write(connection: Connection, entry_id: int, document: SearchDocument) -> None:
    """Index ``document`` as entry ``entry_id`` (the row exists; its vector is replaced)."""
    connection.execute(_UPDATE, {"id": entry_id, **document._asdict()})


def tsquery_text(terms: list[str]) -> str:
    """The ``to_tsquery`` input for ``terms``: all of them, the last one also as a prefix.

    Terms hold only letters and digits and are quoted as lexemes, so no tsquery operator
    can come from a user's query.
    """
    quoted = [f"'{term}'" for term in terms]
    quoted[-1] += ":*"
    return " & ".join(quoted)


def matching(
    source: sa.FromClause, terms: list[str]
) -> tuple[sa.FromClause, sa.ColumnElement[bool], sa.ColumnElement[float]]:
    """The source, condition and score (higher is better) that restrict it to ``terms``."""
    query = sa.func.to_tsquery(
        sa.literal_column("'simple'::regconfig"),
        sa.bindparam("ts_query", tsquery_text(terms), type_=sa.Text),
    )
    condition = _VECTOR.op("@@", is_comparison=True)(query)
    score = sa.func.ts_rank(_RANK_WEIGHTS, _VECTOR, query, type_=sa.Float)
    return source, sa.and_(condition), score
