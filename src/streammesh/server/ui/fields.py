"""The product page's field table and recent-events table.

The field table lists the value schema's fields (name, type, doc, default, whether an event
must carry it) with the contract's classification labels and the key marker. The events
table has one column per top-level field; a field the viewer sees masked shows a lock with
its classification, never the placeholder the log holds (``***``, ``0.0``, ...), which
would read as a plausible value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from streammesh.access import ContentAccess
from streammesh.products import Descriptor
from streammesh.schemas import SchemaField


@dataclass(frozen=True, slots=True)
class FieldRow:
    """One row of the field table.

    Attributes:
        field: The schema's field (path, type, doc, default, required).
        labels: The contract's classification labels of the field (empty: unclassified).
        key: Whether the stream's key is taken from this field.
    """

    field: SchemaField
    labels: tuple[str, ...]
    key: bool

    @property
    def depth(self) -> int:
        """How deep the field is nested (0 for a top-level field)."""
        return sum(self.field.path.count(mark) for mark in (".", "[]", "{}"))


def field_rows(fields: Sequence[SchemaField], descriptor: Descriptor) -> list[FieldRow]:
    """The table's rows, in the schema's order."""
    return [
        FieldRow(
            field,
            tuple(str(label) for label in descriptor.classifications.get(field.path, ())),
            field.path == descriptor.key.field,
        )
        for field in fields
    ]


@dataclass(frozen=True, slots=True)
class Masked:
    """A cell whose value the viewer may not see: the classification labels that hide it."""

    labels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EventRow:
    """One event of the table: when, where in the log, its key, and a cell per column."""

    timestamp: datetime
    partition: int
    offset: int
    key: Any
    cells: tuple[str | Masked, ...]


@dataclass(frozen=True, slots=True)
class EventTable:
    """The recent events, newest first, one column per top-level field.

    Attributes:
        columns: The top-level fields, in the schema's order.
        rows: The events.
        masked: The classified fields shown masked, with their labels (empty: none masked).
    """

    columns: tuple[str, ...]
    rows: tuple[EventRow, ...]
    masked: Mapping[str, tuple[str, ...]]


def event_table(
    events: Sequence[Mapping[str, Any]],
    fields: Sequence[SchemaField],
    descriptor: Descriptor,
    reading: ContentAccess,
) -> EventTable:
    """The table of ``events`` (JSON documents, oldest first) as ``reading`` shows them."""
    columns = tuple(f.path for f in fields if not any(mark in f.path for mark in ".[{"))
    masked = (
        {}
        if reading.clear
        else {
            path: tuple(str(label) for label in labels)
            for path, labels in descriptor.classifications.items()
        }
    )
    rows = []
    for event in reversed(events):
        value = event["value"]
        value = value if isinstance(value, dict) else {}
        shown = _hide(value, {path: m for path, m in masked.items() if path not in columns})
        cells = tuple(
            Masked(masked[column]) if column in masked else _text(shown.get(column))
            for column in columns
        )
        rows.append(
            EventRow(
                datetime.fromisoformat(event["timestamp"]),
                event["partition"],
                event["offset"],
                event["key"],
                cells,
            )
        )
    return EventTable(columns, tuple(rows), masked)


def _hide(value: Any, masked: Mapping[str, tuple[str, ...]]) -> Any:
    """``value`` with each masked inner path (``address.street``, ``legs[].price``,
    ``notes{}.text``) shown as a lock with its labels instead of the placeholder."""
    if not masked:
        return value
    if isinstance(value, list):
        return [_hide(item, _under(masked, "[].")) for item in value]
    if not isinstance(value, dict):
        return value
    every = _under(masked, "{}.")  # the paths inside each value of a map
    shown: dict[str, Any] = {}
    for name, item in value.items():
        if name in masked:
            shown[name] = "🔒 " + ", ".join(masked[name])
            continue
        inner = {**_under(masked, f"{name}."), **every}
        inner |= {f"[].{p}": m for p, m in _under(masked, f"{name}[].").items()}
        inner |= {f"{{}}.{p}": m for p, m in _under(masked, f"{name}{{}}.").items()}
        shown[name] = _hide(item, inner)
    return shown


def _under(masked: Mapping[str, tuple[str, ...]], prefix: str) -> dict[str, tuple[str, ...]]:
    """The masked paths that start with ``prefix``, relative to it."""
    return {path[len(prefix) :]: m for path, m in masked.items() if path.startswith(prefix)}


def _text(value: Any) -> str:
    """A cell's text: strings as they are, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
