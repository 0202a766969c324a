"""Events of a data product: what a producer accepts and what a consumer returns.

A producer takes an event as a mapping of field names to plain Python values (the shape the
schema formats validate: ``dict``/``list``/``str``/``int``/``float``/``bool``/``None``/
``bytes``), or as a dataclass or pydantic model instance, which is turned into that mapping
first. A consumer returns a :class:`ProductEvent` whose ``value`` is such a ``dict``, for
every schema format:

- Avro: the record as fastavro reads it (enums as symbol names, unions as the branch value).
- JSON Schema: the JSON object.
- Protobuf: the message by field name: scalars without presence always appear (their
  default when unset, as every proto3 reader sees them), messages and ``optional`` fields
  only when set, enums as value names, repeated fields as lists, maps as dicts, nested
  messages as dicts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from streammesh.dataplane.keys import Key
from streammesh.log import Header

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ProductEvent:
    """One event read from a data product.

    Attributes:
        product: The product version it belongs to (``execution.stocktrades.v1``).
        key: The key, decoded per the product's key type (``None`` if the record has none).
        value: The event's fields (see the module docstring per format); ``None`` for a
            tombstone, the deletion of ``key`` in a compacted product.
        partition: The partition of the product's topic it was read from.
        offset: Its offset in that partition.
        timestamp: When it was produced (or the time its producer gave), in UTC.
        schema_id: The registry id of the schema it was written with (``None`` for a
            tombstone); events written before and after a schema change differ here.
        headers: The record's headers, in order (a name may repeat).
    """

    product: str
    key: Key | None
    value: dict[str, Any] | None
    partition: int
    offset: int
    timestamp: datetime
    schema_id: int | None
    headers: tuple[Header, ...] = ()

    @property
    def is_tombstone(self) -> bool:
        """Whether this event deletes ``key`` (it has no value)."""
        return self.value is None

    def header(self, name: str) -> bytes | None:
        """The last value of header ``name``, or ``None`` if it has none."""
        for header_name, data in reversed(self.headers):
            if header_name == name:
                return data
        return None


def timestamp_of(timestamp_ms: int) -> datetime:
    """The UTC datetime of a record timestamp, exact to the millisecond."""
    return _EPOCH + timedelta(milliseconds=timestamp_ms)


def event_fields(event: object) -> dict[str, Any] | None:
    """The field mapping of an event given to a producer, or ``None`` if it is none of the
    accepted shapes (a mapping, a dataclass instance, a pydantic model)."""
    if isinstance(event, dict):
        return event
    if isinstance(event, Mapping):
        return dict(event)
    if dataclasses.is_dataclass(event) and not isinstance(event, type):
        return dataclasses.asdict(event)
    # pydantic is duck-typed here: the core does not import it for this.
    dump = getattr(event, "model_dump", None)
    if callable(dump) and not isinstance(event, type):
        dumped = dump()
        if isinstance(dumped, dict):
            return dumped
    return None
