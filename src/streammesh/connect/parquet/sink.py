"""``ParquetSink``: products landed as time-partitioned Parquet files, exactly once.

Layout: ``<root>/<product>/v<schema id>/dt=<YYYY-MM-DD>/hour=<HH>/p<partition>-<first>-<last>
.parquet`` (``hour=`` only with hourly partitioning), Hive-style, so DuckDB, Spark or pandas
read the folder with ``dt`` and ``hour`` as columns.

Exactly once: each topic partition has at most one open file, holding a contiguous run of its
offsets; a record of another schema or time folder completes that file first. A file is
written under a hidden ``.tmp`` name, fsynced, then renamed, and its key-value metadata holds
the offsets it covers (``streammesh.topic``, ``.partition``, ``.first_offset``,
``.last_offset``). Since a partition's files are completed in offset order, the highest
``last_offset`` found is where the partition resumes; a crash leaves at most a ``.tmp`` file,
which :meth:`ParquetSink.open` deletes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from streammesh.connect.base import ConnectorContext, SinkRecord
from streammesh.connect.parquet.arrow_schema import ArrowLayout, arrow_layout
from streammesh.connect.parquet.config import Config, Partitioning, Tombstones
from streammesh.connect.parquet.errors import UnreadableSinkFile

_HOUR_MS = 3_600_000
_DAY_MS = 24 * _HOUR_MS
_META_TOPIC = b"streammesh.topic"
_META_PARTITION = b"streammesh.partition"
_META_FIRST = b"streammesh.first_offset"
_META_LAST = b"streammesh.last_offset"
_TMP_SUFFIX = ".parquet.tmp"
KEY_COLUMN = "__key"
"""With ``tombstones: flag``, the record's key as text."""
DELETED_COLUMN = "__deleted"
"""With ``tombstones: flag``, true on the row of a tombstone."""

Partition = tuple[str, int]
_CONVERSION_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError)


@dataclass(slots=True)
class _OpenFile:
    """The rows of one partition not yet in a complete file (one product, schema and bucket)."""

    partition: Partition
    product: str
    schema_id: int
    bucket: int
    layout: ArrowLayout
    opened_at: float
    first: int
    last: int = -1
    rows: list[Mapping[str, Any]] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)
    batches: list[pa.RecordBatch] = field(default_factory=list)
    converted_rows: int = 0
    converted_bytes: int = 0


class ParquetSink:
    """A :class:`~streammesh.connect.base.SinkTask` writing Parquet files (see the module).

    Args:
        config: The connector's settings.
        context: The worker's context (the connector's name goes in each file's metadata).
        clock: Seconds, for rolling on time (tests pass their own).
    """

    def __init__(
        self,
        config: Config,
        context: ConnectorContext,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._context = context
        self._clock = clock
        self._layouts: dict[int, ArrowLayout] = {}
        self._open: dict[Partition, _OpenFile] = {}
        self._next: dict[Partition, int] = {}
        self._durable: dict[Partition, int] = {}
        self._bucket_ms = _HOUR_MS if config.partitioning is Partitioning.HOURLY else _DAY_MS
        self._flag = config.tombstones is Tombstones.FLAG
        self._compression = config.compression.value

    def open(self) -> Mapping[Partition, int]:
        """Delete files a crash left half written; per partition, the offset after the last
        one in a complete file."""
        found: dict[Partition, int] = {}
        root = self._config.root
        root.mkdir(parents=True, exist_ok=True)
        for directory, _, names in os.walk(root):
            for name in names:
                path = Path(directory) / name
                if name.startswith(".") and name.endswith(_TMP_SUFFIX):
                    path.unlink()
                elif name.endswith(".parquet") and not name.startswith("."):
                    partition, last = _covered(path)
                    found[partition] = max(found.get(partition, 0), last + 1)
        self._next = dict(found)
        self._durable = dict(found)
        self._open.clear()
        return found

    def put(self, records: Sequence[SinkRecord]) -> None:
        """Buffer records into their partition's open file, completing files that reach a
        size, or change schema or time folder; records already in files are skipped."""
        next_offsets = self._next
        touched: set[Partition] = set()
        for record in records:
            partition = (record.topic, record.partition)
            if record.offset < next_offsets.get(partition, 0):
                continue  # replayed after a restart: already in a complete file or buffered
            value = record.value
            if value is None and not self._flag:
                next_offsets[partition] = record.offset + 1
                continue
            layout = self._layout(record)  # may stop the sink: the offset stays unread
            next_offsets[partition] = record.offset + 1
            bucket = record.timestamp_ms // self._bucket_ms
            current = self._open.get(partition)
            if (
                current is None
                or current.bucket != bucket
                or current.schema_id != record.schema_id
                or current.product != record.product
            ):
                if current is not None:
                    self._complete(partition, current)
                current = self._open[partition] = _OpenFile(
                    partition=partition,
                    product=record.product,
                    schema_id=record.schema_id,
                    bucket=bucket,
                    layout=layout,
                    opened_at=self._clock(),
                    first=record.offset,
                )
            current.rows.append(self._row(record, current.layout))
            current.offsets.append(record.offset)
            current.last = record.offset
            touched.add(partition)
            if current.converted_rows + len(current.rows) >= self._config.roll_rows:
                self._complete(partition, current)
        for partition in touched:
            current = self._open.get(partition)
            if current is None:
                continue
            self._convert(current)
            if current.converted_bytes >= self._config.roll_bytes:
                self._complete(partition, current)
        self._roll_expired()

    def flush(self) -> Mapping[Partition, int]:
        """Complete the files whose time is up; per partition, the offset after the last
        record in a complete file (buffered rows are not durable yet)."""
        self._roll_expired()
        return dict(self._durable)

    def close(self) -> None:
        """Complete every open file."""
        for partition, current in list(self._open.items()):
            self._complete(partition, current)

    def _layout(self, record: SinkRecord) -> ArrowLayout:
        layout = self._layouts.get(record.schema_id)
        if layout is None:
            layout = arrow_layout(
                record.schema, subject=f"{record.product} schema {record.schema_id}"
            )
            if self._flag:
                fields = [item.with_nullable(True) for item in layout.schema]
                fields += [pa.field(KEY_COLUMN, pa.string()), pa.field(DELETED_COLUMN, pa.bool_())]
                layout = ArrowLayout(pa.schema(fields), layout.converters)
            self._layouts[record.schema_id] = layout
        return layout

    def _row(self, record: SinkRecord, layout: ArrowLayout) -> Mapping[str, Any]:
        value = record.value
        converters = layout.converters
        if value is None:
            return {KEY_COLUMN: _key_text(record.key), DELETED_COLUMN: True}
        if converters:
            value = {
                name: (converters[name](item) if name in converters else item)
                for name, item in value.items()
            }
        if self._flag:
            return {**value, KEY_COLUMN: _key_text(record.key), DELETED_COLUMN: False}
        return value

    def _convert(self, current: _OpenFile) -> None:
        """Move buffered rows into an Arrow batch (its size counts towards ``roll_bytes``)."""
        if current.rows:
            try:
                batch = pa.RecordBatch.from_pylist(current.rows, schema=current.layout.schema)
            except _CONVERSION_ERRORS:
                batch = self._convert_row_by_row(current)
            current.batches.append(batch)
            current.converted_rows += batch.num_rows
            current.converted_bytes += batch.nbytes
            current.rows, current.offsets = [], []

    def _convert_row_by_row(self, current: _OpenFile) -> pa.RecordBatch:
        """The rows that convert; each one that does not goes to the dead letters (the file
        still covers its offset, so it is not read again)."""
        schema = current.layout.schema
        good: list[Mapping[str, Any]] = []
        topic, number = current.partition
        for row, offset in zip(current.rows, current.offsets, strict=True):
            try:
                pa.RecordBatch.from_pylist([row], schema=schema)
            except _CONVERSION_ERRORS as exc:
                self._context.dead_letter(
                    current.product,
                    f"{topic}[{number}] offset {offset} does not fit schema "
                    f"{current.schema_id} as a Parquet row: {exc}",
                    {"topic": topic, "partition": number, "offset": offset},
                )
            else:
                good.append(row)
        return pa.RecordBatch.from_pylist(good, schema=schema)

    def _roll_expired(self) -> None:
        now = self._clock()
        for partition, current in list(self._open.items()):
            if (now - current.opened_at) * 1000 >= self._config.roll_interval:
                self._complete(partition, current)

    def _complete(self, partition: Partition, current: _OpenFile) -> None:
        """Write the open file under a hidden name, fsync, rename: then it counts."""
        del self._open[partition]
        self._convert(current)
        if not current.batches:
            return
        topic, number = partition
        metadata = {
            _META_TOPIC: topic.encode(),
            _META_PARTITION: str(number).encode(),
            _META_FIRST: str(current.first).encode(),
            _META_LAST: str(current.last).encode(),
            b"streammesh.connector": self._context.name.encode(),
            b"streammesh.product": current.product.encode(),
            b"streammesh.schema_id": str(current.schema_id).encode(),
        }
        table = pa.Table.from_batches(
            current.batches, schema=current.layout.schema.with_metadata(metadata)
        )
        directory = self._directory(current)
        directory.mkdir(parents=True, exist_ok=True)
        name = f"p{number}-{current.first:012d}-{current.last:012d}.parquet"
        hidden = directory / f".{name}.tmp"
        with hidden.open("wb") as sink:
            pq.write_table(table, sink, compression=self._compression)
            sink.flush()
            os.fsync(sink.fileno())
        hidden.rename(directory / name)
        _fsync_directory(directory)
        self._durable[partition] = current.last + 1

    def _directory(self, current: _OpenFile) -> Path:
        start = datetime.fromtimestamp(current.bucket * self._bucket_ms / 1000, tz=UTC)
        directory = (
            self._config.root / current.product / f"v{current.schema_id}" / f"dt={start:%Y-%m-%d}"
        )
        if self._config.partitioning is Partitioning.HOURLY:
            directory = directory / f"hour={start:%H}"
        return directory


def _covered(path: Path) -> tuple[Partition, int]:
    """The partition a complete file belongs to and the last offset it covers."""
    try:
        metadata = pq.read_metadata(path).metadata or {}
        topic = metadata[_META_TOPIC].decode()
        return (topic, int(metadata[_META_PARTITION])), int(metadata[_META_LAST])
    except KeyError as exc:
        raise UnreadableSinkFile(path, f"no {exc.args[0].decode()} in its metadata") from exc
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise UnreadableSinkFile(path, str(exc)) from exc


def _key_text(key: Any) -> str | None:
    return None if key is None else str(key)


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable: a directory's entries are data of the directory."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
