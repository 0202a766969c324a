"""Turning text into search terms, identically for the index and for queries.

Both databases index text that was already split and folded here (lowercase, accents
removed, ``snake_case`` and ``camelCase`` split into their words as well as kept whole), so
SQLite's and PostgreSQL's tokenizers only ever see plain words separated by spaces. Queries
go through the same function, which is also what makes them safe: a query is reduced to
letters and digits, so no FTS5 or tsquery operator (``"``, ``*``, ``AND``, ``NEAR(``,
``:``, ``&``) survives to reach the database as syntax.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

MAX_TERM_LENGTH = 64
"""Longer "words" (hashes, base64) are dropped: nobody searches for them."""
MAX_QUERY_TERMS = 12
"""A query's terms beyond this many are ignored (each one is another index lookup)."""

_WORD = re.compile(r"[^\W_]+")  # letters and digits; '_' separates words
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+|[^\W_0-9A-Za-z]+")


def words(text: str) -> list[str]:
    """The search terms of ``text``, in order, duplicates kept.

    Example:
        >>> words("execution.stockTrades: trade_id")
        ['execution', 'stocktrades', 'stock', 'trades', 'trade', 'id']
    """
    found: list[str] = []
    for raw in _WORD.findall(_strip_accents(text)):
        parts = _CAMEL.findall(raw)
        whole = raw.casefold()
        if len(whole) <= MAX_TERM_LENGTH:
            found.append(whole)
        if len(parts) > 1:
            found.extend(p.casefold() for p in parts if len(p) <= MAX_TERM_LENGTH)
    return found


def index_text(*texts: str | Iterable[str]) -> str:
    """One space-separated string of the terms of every text given (for one index column)."""
    collected: list[str] = []
    for text in texts:
        if isinstance(text, str):
            collected.extend(words(text))
        else:
            for item in text:
                collected.extend(words(item))
    return " ".join(collected)


def query_terms(query: str) -> list[str]:
    """The distinct terms of a user's query, in order, at most ``MAX_QUERY_TERMS``.

    A ``camelCase`` query word stays whole (the index holds such words whole as well as
    split), so ``stockTrades`` asks for ``stocktrades``; ``snake_case`` is split as in the
    index (``trade_id`` asks for ``trade`` and ``id``).
    """
    terms: list[str] = []
    for raw in _WORD.findall(_strip_accents(query)):
        term = raw.casefold()
        if len(term) <= MAX_TERM_LENGTH and term not in terms:
            terms.append(term)
    return terms[:MAX_QUERY_TERMS]


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))
