"""The SQLite full-text index: an FTS5 table ranked with BM25 and per-column weights."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from streammesh.catalog.document import SearchDocument
from streammesh.catalog.tables import FTS_COLUMNS, FTS_TABLE

# One weight per FTS column (name, tags, description, people, field_names, field_docs).
# The gaps are wide so that a match in a heavier column outranks repeated matches in a
# lighter one, as BM25 saturates term frequency at ~2.2x a single occurrence.
_WEIGHTS = (10.0, 10.0, 4.0, 1.5, 1.5, 1.0)
_FTS = sa.table(FTS_TABLE, sa.column("rowid"))
_BM25 = f"bm25({FTS_TABLE}, {', '.join(str(w) for w in _WEIGHTS)})"


def write(connection: Connection, entry_id: int, document: SearchDocument) -> None:
    """Index ``document`` as entry ``entry_id``, replacing what was indexed for it before."""
    delete(connection, [entry_id])
    columns = ", ".join(FTS_COLUMNS)
    values = ", ".join(f":{column}" for column in FTS_COLUMNS)
    connection.execute(
        sa.text(f"INSERT INTO {FTS_TABLE} (rowid, {columns}) VALUES (:rowid, {values})"),
        {"rowid": entry_id, **document._asdict()},
    )


def delete(connection: Connection, entry_ids: list[int]) -> None:
    """Drop the indexed text of these entries."""
    for entry_id in entry_ids:
        connection.execute(sa.text(f"DELETE FROM {FTS_TABLE} WHERE rowid = :id"), {"id": entry_id})


def match_query(terms: list[str]) -> str:
    """The FTS5 query for ``terms``: all of them, the last one also as a prefix.

    Terms hold only letters and digits (see ``catalog.terms``), and each is quoted, so
    ``AND``, ``NEAR`` or a column name in a user's query is a plain word here.
    """
    quoted = [f'"{term}"' for term in terms]
    quoted[-1] += "*"
    return " ".join(quoted)


def matching(
    source: sa.FromClause, id_column: sa.ColumnElement[int], terms: list[str]
) -> tuple[sa.FromClause, sa.ColumnElement[bool], sa.ColumnElement[float]]:
    """The join, condition and score (higher is better) that restrict ``source`` to ``terms``."""
    joined = source.join(_FTS, _FTS.c.rowid == id_column)
    condition = sa.text(f"{FTS_TABLE} MATCH :fts_query").bindparams(fts_query=match_query(terms))
    # bm25() is lower for better matches; negate so every backend's score grows with relevance.
    score = sa.literal_column(f"-{_BM25}", sa.Float)
    return joined, sa.and_(condition), score
