"""Errors of the data plane: events a producer refuses, records a consumer cannot read, and
producers or consumers used after they were closed.

::

    DataPlaneError
    ├── InvalidEvent        an event (or several) breaks its product's schema or key; nothing
    │                       was written. Also a ``streammesh.schemas.InvalidEvent``.
    ├── InvalidKey          a key value that cannot be encoded, or key bytes that cannot be
    │                       decoded, as the product's key type (reported inside the two others)
    ├── UnreadableEvent     a record of a product's topic that is not an event of the product
    └── ClientClosed        a producer or consumer used after ``close()``
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from streammesh.errors import MeshError
from streammesh.schemas import InvalidEvent as SchemaInvalidEvent

SHOWN_PROBLEMS = 5
"""How many problems an ``InvalidEvent`` message lists; the ``problems`` attribute has all."""


class DataPlaneError(MeshError):
    """Base of every error the data plane raises itself."""


@dataclass(frozen=True, slots=True)
class EventProblem:
    """Why one event was refused.

    Attributes:
        path: The dotted field path (``trade.price``), empty for the event as a whole.
        rule: A stable identifier of the broken rule (the schema format's, or ``key.*``).
        reason: The problem in words.
        index: The event's position in a ``send_many`` batch, ``None`` for ``send``.
    """

    path: str
    rule: str
    reason: str
    index: int | None = None

    def describe(self) -> str:
        """The problem in one line, e.g. ``event #3: field 'price' must be a number``."""
        where = f"field '{self.path}'" if self.path else "the event"
        prefix = f"event #{self.index}: " if self.index is not None else ""
        return f"{prefix}{where} {self.reason} (rule: {self.rule})"


class InvalidEvent(DataPlaneError, SchemaInvalidEvent):
    """Events refused by a product's producer: nothing of the call was written.

    It is also a ``streammesh.schemas.InvalidEvent``, so code that catches the schema
    error catches this one; ``path``, ``rule`` and ``reason`` are those of the first problem.

    Attributes:
        product: The product version (``execution.stocktrades.v1``).
        problems: Every problem found, in event order (one per refused event).
        events: How many events the refused call carried.
    """

    def __init__(
        self, product: str, schema_name: str, problems: Sequence[EventProblem], events: int = 1
    ) -> None:
        if not problems:
            raise ValueError("InvalidEvent needs at least one problem")
        self.product = product
        self.schema_name = schema_name
        self.problems = tuple(problems)
        self.events = events
        first = self.problems[0]
        self.path = first.path
        self.rule = first.rule
        self.reason = first.reason
        shown = "; ".join(problem.describe() for problem in self.problems[:SHOWN_PROBLEMS])
        hidden = len(self.problems) - SHOWN_PROBLEMS
        more = f"; and {hidden} more" if hidden > 0 else ""
        if events == 1 and first.index is None:
            head = f"event refused by product '{product}' (schema '{schema_name}')"
        else:
            head = (
                f"{len(self.problems)} of {events} events refused by product '{product}' "
                f"(schema '{schema_name}')"
            )
        # MeshError's __init__, not the schema error's: this message is built here.
        Exception.__init__(
            self,
            f"{head}, nothing was written: {shown}{more}; fix the events to match the "
            "product's current schema and key, then send them again",
        )


class InvalidKey(DataPlaneError):
    """A key that the product's key type cannot encode or decode.

    Attributes:
        path: The key field's dotted path in the event.
        rule: ``key.missing``, ``key.null``, ``key.type``, ``key.range``, ``key.format``.
        reason: The problem in words.
    """

    def __init__(self, path: str, rule: str, reason: str) -> None:
        self.path = path
        self.rule = rule
        self.reason = reason
        super().__init__(f"key field '{path}' {reason} (rule: {rule})")

    def problem(self, index: int | None = None) -> EventProblem:
        """This key problem as one problem of an ``InvalidEvent``."""
        return EventProblem(self.path, self.rule, self.reason, index)


class UnreadableEvent(DataPlaneError):
    """A record of a product's topic that cannot be turned into an event of the product.

    Its bytes are not in the Confluent wire format, name a schema id the registry does not
    know, do not decode with their schema, or carry a key the key type cannot decode. The
    cause is chained (``__cause__``). The consumer counts the record as read: polling again
    continues with the next one.

    Attributes:
        product: The product version being read.
        topic: The record's topic.
        partition: The record's partition.
        offset: The record's offset.
        reason: What is wrong with it.
    """

    def __init__(self, product: str, topic: str, partition: int, offset: int, reason: str) -> None:
        self.product = product
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.reason = reason
        super().__init__(
            f"record at offset {offset} of topic '{topic}' partition {partition} is not a "
            f"readable event of product '{product}': {reason}; it was written by something "
            "other than the product's producers. Poll again to continue after it; see the raw "
            f"record with `streammesh consume {topic} --partition {partition} --from-beginning`"
        )


class ClientClosed(DataPlaneError):
    """A producer or consumer used after it was closed."""

    def __init__(self, client: str, product: str) -> None:
        self.client = client
        self.product = product
        super().__init__(
            f"the {client} of product '{product}' is closed; open a new one to continue"
        )
