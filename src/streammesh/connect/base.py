"""The contract between connectors and the worker that runs them.

A **source** turns changes of an outside system (a database table, an outbox, a folder of
files) into events of data products; a **sink** lands the events of products in data at rest
(Parquet files, Iceberg tables, database tables). The worker around them owns everything the
mesh guarantees: the service account and its grants, validation against the product's
contract, field protection, lineage, dead letters and exactly-once delivery.

Exactly once, sources: every :class:`SourceRecord` carries the source ``position`` after it
(a replication LSN, a file and row, a polling watermark). The worker writes a batch's events
and its last position in ONE log transaction (the position into the connector's compacted
offsets topic), so after a crash the source is restarted at the last position whose events
are on the product: no gap, no duplicate. Only once that transaction is committed does the
worker call :meth:`SourceTask.committed`, where the source may release what it holds (confirm
the LSN to the replication slot, delete or mark outbox rows, move a file to ``done/``).

Exactly once, sinks: a sink stores the offsets its data covers WITH the data (in the same
database transaction, in the Parquet file's metadata, in the Iceberg snapshot's summary), and
:meth:`SinkTask.open` reads them back; the worker resumes each partition from there, never
from the consumer group's offsets (which it commits too, for lag only).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

__all__ = [
    "ConnectorContext",
    "DeadLetter",
    "Position",
    "SinkRecord",
    "SinkTask",
    "SourceRecord",
    "SourceTask",
]

Position = Mapping[str, Any]
"""Where a source is in its outside system, as JSON-able values (``{"lsn": "0/16B3748"}``,
``{"file": "2026-12-07.csv", "row": 120}``); what the worker hands back on a restart."""


DeadLetter = Callable[[str, str, Mapping[str, Any]], None]
"""``dead_letter(stream, reason, raw)``: hand the worker something that cannot become an event
(a row whose column will not convert, a file line that is not JSON) — it goes to the
connector's dead-letter stream ``<connector>.dead-letter`` with the reason, and the connector
goes on."""


@dataclass(frozen=True, slots=True)
class ConnectorContext:
    """What the worker gives a connector it creates.

    Attributes:
        name: The connector's name (its consumer group, transactional id, replication slot
            prefix and dead-letter topic ``<name>.dead-letter``).
        state_dir: A directory of its own that survives restarts (``<mesh>/connect/<name>/``).
        dead_letter: See :data:`DeadLetter`.
        mesh_home: The directory of the mesh whose worker runs it (``None`` outside a worker).
        store_url: That mesh's metadata store (``None`` outside a worker): a sink may keep
            its own tables there (the Iceberg catalog).
    """

    name: str
    state_dir: Path
    dead_letter: DeadLetter
    mesh_home: Path | None = None
    store_url: str | None = None


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One change a source turned into an event of a product.

    Attributes:
        product: The product written (its name, e.g. ``shop.orders``; the worker resolves
            the current major version).
        key: The event's key, as the product's key field holds it (``None`` only for a
            product without a key).
        value: The event's fields, or ``None`` for a tombstone (a deleted row of a state
            product).
        position: The source's position *after* this record (see the module).
        timestamp_ms: The change's time (commit time, row timestamp), else the worker's now.
        headers: Extra record headers (outbox headers, ``source`` metadata), text values.
        stream: Within the source, which table, file or outbox the record comes from; a
            failure to convert stops only that stream (the others go on).
    """

    product: str
    key: Any
    value: Mapping[str, Any] | None
    position: Position
    timestamp_ms: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    stream: str = ""


class SourceTask(Protocol):
    """A running source (see the module for the exactly-once contract)."""

    def start(self, position: Position | None) -> None:
        """Connect; resume after ``position`` (``None``: first start — snapshot first where
        the source has one)."""
        ...

    def poll(self, timeout: float) -> Sequence[SourceRecord]:
        """The next changes in order, possibly none after ``timeout`` seconds."""
        ...

    def committed(self, position: Position) -> None:
        """Every record up to ``position`` is durably on its product: release what the
        source keeps for them (slot LSN, outbox rows, moved files)."""
        ...

    def schemas(self) -> Mapping[str, str]:
        """Per product name, the Avro schema (JSON text) derived from the source's columns;
        the worker registers it (evolving the product's schema where its compatibility rule
        allows, stopping that stream with a clear error where it does not)."""
        ...

    def close(self) -> None:
        """Release connections and files; idempotent."""
        ...


@dataclass(frozen=True, slots=True)
class SinkRecord:
    """One event of a product, decoded as the sink's service account may read it (classified
    fields in clear with a classified grant, placeholders otherwise).

    Attributes:
        product: The product's reference (``shop.orders.v1``).
        topic: Its topic.
        partition: The partition it was read from.
        offset: Its offset there.
        key: The decoded key (``None`` without one).
        value: The decoded fields, ``None`` for a tombstone.
        timestamp_ms: The record's timestamp.
        schema_id: The registry id of the schema it was written with (a sink keeps one file
            series or table schema per schema version).
        schema: That schema's text (Avro JSON).
    """

    product: str
    topic: str
    partition: int
    offset: int
    key: Any
    value: Mapping[str, Any] | None
    timestamp_ms: int
    schema_id: int
    schema: str


class SinkTask(Protocol):
    """A running sink (see the module for the exactly-once contract)."""

    def open(self) -> Mapping[tuple[str, int], int]:
        """Prepare the destination; per ``(topic, partition)`` the next offset to read, as
        stored with the data (absent: from the beginning)."""
        ...

    def put(self, records: Sequence[SinkRecord]) -> None:
        """Take records (in offset order per partition); they may be buffered."""
        ...

    def flush(self) -> Mapping[tuple[str, int], int]:
        """Make everything put so far durable together with the offsets it covers (a
        database transaction, a renamed file, an Iceberg commit); return per partition the
        next offset to read. A sink rolling on size or time may keep records buffered: it
        returns only what is durable."""
        ...

    def close(self) -> None:
        """Flush what can be flushed and release the destination; idempotent."""
        ...
