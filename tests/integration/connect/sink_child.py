"""The process the sinks' kill -9 loop kills: it opens a sink, feeds it one fixed sequence of
records from a little before the offsets ``open()`` returned (so replays are exercised too),
flushing after each small batch, and prints ``opened`` once it starts writing and ``done``
at the end.

Usage: ``python -m tests.integration.connect.sink_child parquet|table DESTINATION TOTAL``
(DESTINATION: the Parquet root, or the table sink's URL).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from streammesh.connect.base import ConnectorContext, SinkRecord, SinkTask

PRODUCT = "web.views.v1"
PARTITIONS = 2
BATCH = 7
REPLAY = 3
T0 = 1_796_637_600_000  # 2026-12-07T10:00:00Z
FIELDS: list[dict[str, Any]] = [
    {"name": "p", "type": "int"},
    {"name": "o", "type": "long"},
    {"name": "page", "type": "string"},
]
SCHEMAS = {
    1: json.dumps({"type": "record", "name": "View", "fields": FIELDS}),
    2: json.dumps(
        {
            "type": "record",
            "name": "View",
            "fields": [*FIELDS, {"name": "ms", "type": ["null", "long"], "default": None}],
        }
    ),
}


def record(partition: int, offset: int, total: int) -> SinkRecord:
    """The record at ``offset`` of ``partition``: the schema changes half way, and the
    timestamp moves an hour every 400 records."""
    schema_id = 1 if offset < total // 2 else 2
    value: dict[str, Any] = {"p": partition, "o": offset, "page": f"/page/{offset % 13}"}
    if schema_id == 2:
        value["ms"] = offset * 3
    return SinkRecord(
        PRODUCT,
        PRODUCT,
        partition,
        offset,
        f"k{offset}",
        value,
        T0 + (offset // 400) * 3_600_000,
        schema_id,
        SCHEMAS[schema_id],
    )


def _sink(kind: str, destination: str) -> SinkTask:
    context = ConnectorContext("views-sink", Path(destination).parent, lambda *_: None)
    if kind == "parquet":
        from streammesh.connect.parquet import Config as ParquetConfig
        from streammesh.connect.parquet import create as create_parquet

        return create_parquet(
            ParquetConfig(root=Path(destination), roll_rows=23, roll_interval=50), context
        )
    from streammesh.connect.tables import Config as TableConfig
    from streammesh.connect.tables import create as create_table

    return create_table(
        TableConfig.model_validate({"url": destination, "mode": "append", "batch_size": 5}),
        context,
    )


def main() -> None:
    kind, destination, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
    sink = _sink(kind, destination)
    start = sink.open()
    print("opened", flush=True)
    cursors = {p: max(0, start.get((PRODUCT, p), 0) - REPLAY) for p in range(PARTITIONS)}
    while any(cursor < total for cursor in cursors.values()):
        for partition in range(PARTITIONS):
            upto = min(total, cursors[partition] + BATCH)
            sink.put([record(partition, o, total) for o in range(cursors[partition], upto)])
            cursors[partition] = upto
        sink.flush()
    sink.close()
    print("done", flush=True)


if __name__ == "__main__":
    main()
