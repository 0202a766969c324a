"""Facet counts over a search's matching set, counted by the database in one statement."""

from __future__ import annotations

from collections import Counter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from streammesh.catalog.model import Facet
from streammesh.catalog.tables import entries
from streammesh.catalog.tables import tags as entry_tags

# Every facet but tags is a column of the entry; tags are counted through ``catalog_tags``.
_COLUMNS: dict[Facet, sa.Column[Any]] = {
    Facet.DOMAIN: entries.c.domain,
    Facet.OWNER: entries.c.owner_email,
    Facet.TEAM: entries.c.team,
    Facet.QUALITY: entries.c.quality,
    Facet.SLA_TIER: entries.c.sla_tier,
    Facet.ALIGNMENT: entries.c.alignment,
    Facet.STATUS: entries.c.status,
}


def count(
    connection: Connection, source: sa.FromClause, conditions: list[sa.ColumnElement[bool]]
) -> dict[Facet, dict[str, int]]:
    """How many entries of ``source`` matching ``conditions`` have each value of each facet.

    One ``GROUP BY`` per facet over the matching set, all in one ``UNION ALL`` statement,
    so only the (few) distinct values travel to Python, however many entries match. Each
    facet's values come most frequent first, then alphabetically: the order a facet
    sidebar shows.
    """
    matched = (
        sa.select(entries.c.id, *_COLUMNS.values())
        .select_from(source)
        .where(*conditions)
        .cte("matched")
    )
    per_facet: list[sa.Select[str, str, int]] = [
        sa.select(
            sa.literal(facet.value, sa.Text).label("facet"),
            sa.cast(matched.c[column.name], sa.Text).label("value"),
            sa.func.count().label("n"),
        ).group_by(matched.c[column.name])
        for facet, column in _COLUMNS.items()
    ]
    # Grouping by ``tag || ''`` rather than ``tag`` keeps SQLite from walking the whole tag
    # index (to get groups in order) and probing the matches for each row: it starts from
    # the matches and looks their tags up by primary key, which is what makes a selective
    # search cheap. The value is the same text.
    tag = entry_tags.c.tag.concat("")
    per_facet.append(
        sa.select(
            sa.literal(Facet.TAGS.value, sa.Text).label("facet"),
            tag.label("value"),
            sa.func.count().label("n"),
        )
        .select_from(matched.join(entry_tags, entry_tags.c.entry_id == matched.c.id))
        .group_by(tag)
    )
    counters: dict[Facet, Counter[str]] = {facet: Counter() for facet in Facet}
    for facet, value, n in connection.execute(sa.union_all(*per_facet)):
        counters[Facet(facet)][value] = n
    return {
        facet: dict(sorted(counter.items(), key=lambda item: (-item[1], item[0])))
        for facet, counter in counters.items()
    }
