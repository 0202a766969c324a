"""Settings both PostgreSQL source kinds share: the database URL and the slot's names."""

from __future__ import annotations

import re

from pydantic import SecretStr

__all__ = ["TABLE_PATTERN", "default_object_name", "libpq_url", "qualified_table"]

TABLE_PATTERN = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_$]*\.)?[A-Za-z_][A-Za-z0-9_$]*$")
"""``table`` or ``schema.table``, unquoted identifiers."""


def qualified_table(table: str) -> str:
    """``orders`` → ``public.orders``; ``shop.orders`` stays."""
    return table if "." in table else f"public.{table}"


def default_object_name(connector: str) -> str:
    """The slot's and publication's default name: ``streammesh_<connector with _>``."""
    return "streammesh_" + connector.replace("-", "_")


def libpq_url(url: SecretStr) -> str:
    """The URL as libpq takes it: a SQLAlchemy driver suffix (``postgresql+psycopg://``)
    is dropped."""
    return re.sub(r"^postgres(?:ql)?\+\w+://", "postgresql://", url.get_secret_value())
