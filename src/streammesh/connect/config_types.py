"""Field types shared by connector ``Config`` models: durations and SQL identifiers.

A duration is spelled as everywhere in the mesh (``500ms``, ``5s``, ``1m``, see
:mod:`streammesh.durations`) and held in milliseconds; an identifier is a plain SQL name
(``orders``, ``shop.orders``) so it can be quoted safely into the queries a connector builds.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator

from streammesh.durations import DurationSyntaxError, parse_ms

__all__ = ["DurationMs", "SqlName", "TableName"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _duration_ms(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return parse_ms(value)
        except DurationSyntaxError as exc:
            raise ValueError(str(exc)) from exc
    return value


def _sql_name(value: Any) -> Any:
    if isinstance(value, str) and not _NAME.match(value):
        raise ValueError(
            f"'{value}' is not a plain SQL name (letters, digits and underscores, "
            "not starting with a digit)"
        )
    return value


def _table_name(value: Any) -> Any:
    if isinstance(value, str):
        parts = value.split(".")
        if len(parts) > 2 or not all(_NAME.match(part) for part in parts):
            raise ValueError(
                f"'{value}' is not a table name ('table' or 'schema.table', each a plain "
                "SQL name: letters, digits and underscores)"
            )
    return value


DurationMs = Annotated[int, BeforeValidator(_duration_ms)]
"""A duration: ``"5s"``, ``"250ms"`` or a number of milliseconds."""

SqlName = Annotated[str, BeforeValidator(_sql_name)]
"""A column name: letters, digits and underscores."""

TableName = Annotated[str, BeforeValidator(_table_name)]
"""A table name, optionally schema-qualified (``public.orders``)."""
