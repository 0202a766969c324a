"""The process the CDC kill -9 loop kills: it plays the connector worker around the
``postgres-cdc`` source with a SQLite file as the product — each polled batch's events and
its last position in ONE SQLite transaction (as the worker writes events and the offsets
topic in one log transaction), then ``committed`` — printing ``started`` once the source is
started and ``done`` when the change with sequence number ``LAST`` is on the product.

Usage: ``python -m tests.integration.connect.cdc_child URL PRODUCT_FILE LAST``
(``LAST`` 0: start, create the slot, and stop).
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from pathlib import Path

from streammesh.connect.base import ConnectorContext
from streammesh.connect.postgres.cdc import Config, create


def main(url: str, product_file: str, last: int) -> None:
    product = sqlite3.connect(product_file, isolation_level=None)
    product.execute("PRAGMA journal_mode=WAL")
    product.execute(
        "CREATE TABLE IF NOT EXISTS events "
        "(n INTEGER PRIMARY KEY AUTOINCREMENT, key INTEGER, seq INTEGER)"
    )
    product.execute("CREATE TABLE IF NOT EXISTS offsets (one INTEGER PRIMARY KEY, position TEXT)")
    row = product.execute("SELECT position FROM offsets").fetchone()
    position = json.loads(row[0]) if row else None
    config = Config.model_validate(
        {"url": url, "tables": {"orders": "shop.orders"}, "batch_size": 7}
    )
    state = Path(product_file).parent / "state"
    source = create(config, ConnectorContext("orders-cdc", state, print))
    source.start(position)
    print("started", flush=True)
    written = product.execute("SELECT max(seq) FROM events").fetchone()[0]
    seen = last == 0 or written == last
    while True:  # at least one poll: it completes the snapshot (empty here)
        batch = source.poll(0.2)
        if not batch:
            if seen:
                break
            continue
        product.execute("BEGIN IMMEDIATE")
        for record in batch:
            assert record.value is not None
            product.execute(
                "INSERT INTO events (key, seq) VALUES (?, ?)",
                (record.key, record.value["seq"]),
            )
            seen = seen or record.value["seq"] == last
        product.execute(
            "INSERT OR REPLACE INTO offsets VALUES (1, ?)", (json.dumps(batch[-1].position),)
        )
        product.execute("COMMIT")
        source.committed(batch[-1].position)
        if seen:
            break
        time.sleep(0.01)  # slower than the writer: batches of 7 cut its transactions
    source.close()
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
