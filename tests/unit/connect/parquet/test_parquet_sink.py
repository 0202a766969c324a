"""The Parquet sink: Hive-style time folders DuckDB reads, file series per schema, rolls,
offsets stored in the files and read back by ``open()``, tombstones."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from streammesh.connect.base import ConnectorContext, SinkRecord
from streammesh.connect.parquet import Config, ParquetSink, create
from streammesh.connect.parquet.errors import UnreadableSinkFile, UnsupportedSchema

PRODUCT = "shop.orders.v1"
TOPIC = "shop.orders.v1"
HOUR_MS = 3_600_000
T0 = int(datetime(2026, 12, 7, 10, 5, tzinfo=UTC).timestamp() * 1000)

SCHEMA_V1 = json.dumps(
    {
        "type": "record",
        "name": "Order",
        "fields": [
            {"name": "order_id", "type": {"type": "string", "logicalType": "uuid"}},
            {
                "name": "amount",
                "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2},
            },
            {"name": "placed_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "day", "type": {"type": "int", "logicalType": "date"}},
            {"name": "note", "type": ["null", "string"], "default": None},
            {"name": "n", "type": "long"},
        ],
    }
)
SCHEMA_V2 = json.dumps(
    {
        "type": "record",
        "name": "Order",
        "fields": [
            *json.loads(SCHEMA_V1)["fields"],
            {"name": "channel", "type": ["null", "string"], "default": None},
        ],
    }
)


def _dead_letter(stream: str, reason: str, raw: Mapping[str, Any]) -> None:
    raise AssertionError(f"unexpected dead letter {stream}: {reason}")


def _context(tmp_path: Path) -> ConnectorContext:
    return ConnectorContext(
        name="orders-lake", state_dir=tmp_path / "state", dead_letter=_dead_letter
    )


def _value(n: int) -> dict[str, Any]:
    return {
        "order_id": uuid.UUID(int=n),
        "amount": Decimal(n) / 100,
        "placed_at": datetime.fromtimestamp((T0 + n) / 1000, tz=UTC),
        "day": date(2026, 12, 7),
        "note": None if n % 2 else f"note {n}",
        "n": n,
    }


def _record(
    n: int,
    *,
    offset: int | None = None,
    partition: int = 0,
    timestamp_ms: int = T0,
    schema_id: int = 1,
    value: Mapping[str, Any] | str | None = "default",
) -> SinkRecord:
    return SinkRecord(
        product=PRODUCT,
        topic=TOPIC,
        partition=partition,
        offset=n if offset is None else offset,
        key=str(uuid.UUID(int=n)),
        value=_value(n) if value == "default" else value,  # type: ignore[arg-type]
        timestamp_ms=timestamp_ms,
        schema_id=schema_id,
        schema=SCHEMA_V1 if schema_id == 1 else SCHEMA_V2,
    )


def _sink(tmp_path: Path, **config: Any) -> ParquetSink:
    sink = ParquetSink(Config(root=tmp_path / "lake", **config), _context(tmp_path))
    sink.open()
    return sink


def _files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "lake").rglob("*.parquet"))


def _query(tmp_path: Path, sql: str) -> list[tuple[Any, ...]]:
    glob = f"{tmp_path / 'lake' / PRODUCT}/**/*.parquet"
    return duckdb.sql(
        sql.replace("FILES", f"read_parquet('{glob}', hive_partitioning=true, union_by_name=true)")
    ).fetchall()


def _put_all(sink: ParquetSink, records: Sequence[SinkRecord]) -> None:
    sink.put(records)
    sink.close()


def test_duckdb_reads_the_hive_folders_with_logical_types(tmp_path: Path) -> None:
    sink = _sink(tmp_path)
    records = [_record(n, timestamp_ms=T0 + (n // 5) * HOUR_MS) for n in range(10)]
    _put_all(sink, records)

    assert [path.relative_to(tmp_path / "lake").parent.as_posix() for path in _files(tmp_path)] == [
        f"{PRODUCT}/v1/dt=2026-12-07/hour=10",
        f"{PRODUCT}/v1/dt=2026-12-07/hour=11",
    ]
    rows = _query(
        tmp_path,
        "SELECT n, order_id, amount, placed_at, day, note, dt, hour FROM FILES ORDER BY n",
    )
    assert len(rows) == 10
    n, order_id, amount, placed_at, day, note, dt, hour = rows[3]
    assert (n, order_id, amount, day, note) == (
        3,
        str(uuid.UUID(int=3)),
        Decimal("0.03"),
        date(2026, 12, 7),
        None,
    )
    assert placed_at == datetime.fromtimestamp((T0 + 3) / 1000, tz=UTC)
    assert (str(dt), hour) == ("2026-12-07", 10)
    assert _query(tmp_path, "SELECT count(*) FROM FILES WHERE hour = 11") == [(5,)]
    schema = pq.read_schema(_files(tmp_path)[0])
    assert schema.field("amount").type == pa.decimal128(10, 2)
    assert schema.field("placed_at").type == pa.timestamp("ms", tz="UTC")
    assert schema.field("day").type == pa.date32()
    assert not schema.field("n").nullable and schema.field("note").nullable


def test_daily_partitioning_puts_a_day_in_one_folder(tmp_path: Path) -> None:
    sink = _sink(tmp_path, partitioning="daily")
    _put_all(sink, [_record(n, timestamp_ms=T0 + n * HOUR_MS) for n in range(3)])
    assert [path.parent.name for path in _files(tmp_path)] == ["dt=2026-12-07"]


def test_each_schema_version_gets_its_own_file_series(tmp_path: Path) -> None:
    sink = _sink(tmp_path)
    v2 = {**_value(3), "channel": "web"}
    _put_all(
        sink,
        [
            _record(0),
            _record(1),
            _record(2, schema_id=2, value={**_value(2), "channel": "app"}),
            _record(3, schema_id=2, value=v2),
        ],
    )

    assert sorted({path.parts[-4] for path in _files(tmp_path)}) == ["v1", "v2"]
    assert (
        pq.read_schema(next(p for p in _files(tmp_path) if "/v2/" in str(p))).names[-1] == "channel"
    )
    assert _query(tmp_path, "SELECT n, channel FROM FILES ORDER BY n") == [
        (0, None),
        (1, None),
        (2, "app"),
        (3, "web"),
    ]


def test_files_roll_on_rows_and_store_the_offsets_they_cover(tmp_path: Path) -> None:
    sink = _sink(tmp_path, roll_rows=4)
    sink.put([_record(n) for n in range(10)])

    assert sink.flush() == {(TOPIC, 0): 8}  # two complete files; 8 and 9 still buffered
    covered = []
    for path in _files(tmp_path):
        meta = pq.read_metadata(path).metadata
        covered.append((meta[b"streammesh.first_offset"], meta[b"streammesh.last_offset"]))
    assert covered == [(b"0", b"3"), (b"4", b"7")]
    sink.close()
    assert len(_files(tmp_path)) == 3


def test_files_roll_on_bytes(tmp_path: Path) -> None:
    sink = _sink(tmp_path, roll_bytes=1)
    sink.put([_record(0), _record(1)])
    sink.put([_record(2)])
    assert sink.flush() == {(TOPIC, 0): 3}
    assert len(_files(tmp_path)) == 2


def test_files_roll_on_time_at_flush(tmp_path: Path) -> None:
    now = [100.0]
    sink = ParquetSink(
        Config(root=tmp_path / "lake", roll_interval="1m"), _context(tmp_path), clock=lambda: now[0]
    )
    sink.open()
    sink.put([_record(0), _record(1)])
    now[0] += 59
    assert sink.flush() == {}
    assert _files(tmp_path) == []
    now[0] += 1
    assert sink.flush() == {(TOPIC, 0): 2}
    assert len(_files(tmp_path)) == 1


def test_open_resumes_after_the_files_and_deletes_half_written_ones(tmp_path: Path) -> None:
    sink = _sink(tmp_path)
    _put_all(sink, [_record(n) for n in range(5)] + [_record(n, partition=1) for n in range(3)])
    crashed = _files(tmp_path)[0].parent / ".p0-000000000005-000000000009.parquet.tmp"
    crashed.write_bytes(b"half a file")

    reopened = ParquetSink(Config(root=tmp_path / "lake"), _context(tmp_path))
    assert reopened.open() == {(TOPIC, 0): 5, (TOPIC, 1): 3}
    assert not crashed.exists()
    # the worker replays from older offsets: what the files hold is skipped
    _put_all(reopened, [_record(n) for n in range(8)])
    assert _query(tmp_path, "SELECT count(*), count(DISTINCT n) FROM FILES WHERE n < 8") == [
        (11, 8)
    ]


def test_tombstones_are_skipped_by_default_and_flagged_on_request(tmp_path: Path) -> None:
    skipping = _sink(tmp_path)
    _put_all(skipping, [_record(0), _record(1, value=None)])
    assert _query(tmp_path, "SELECT count(*) FROM FILES") == [(1,)]

    flagging = ParquetSink(Config(root=tmp_path / "flagged", tombstones="flag"), _context(tmp_path))
    flagging.open()
    _put_all(flagging, [_record(0), _record(1, value=None)])
    glob = f"{tmp_path / 'flagged'}/**/*.parquet"
    rows = duckdb.sql(
        f"SELECT __key, __deleted, n FROM read_parquet('{glob}') ORDER BY __key"
    ).fetchall()
    assert rows == [(str(uuid.UUID(int=0)), False, 0), (str(uuid.UUID(int=1)), True, None)]


def test_a_schema_arrow_cannot_hold_is_a_clear_error(tmp_path: Path) -> None:
    sink = _sink(tmp_path)
    schema = json.dumps(
        {"type": "record", "name": "R", "fields": [{"name": "v", "type": ["int", "string"]}]}
    )
    record = SinkRecord(PRODUCT, TOPIC, 0, 0, None, {"v": 1}, T0, 9, schema)
    with pytest.raises(UnsupportedSchema, match=r"shop.orders.v1 schema 9.*field 'v'"):
        sink.put([record])
    # the offset the sink stopped at is not skipped when the worker hands it over again
    sink.put([_record(0)])
    sink.close()
    assert _query(tmp_path, "SELECT n FROM FILES") == [(0,)]


def test_a_foreign_parquet_file_under_the_root_is_named(tmp_path: Path) -> None:
    (tmp_path / "lake").mkdir()
    pq.write_table(pa.table({"a": [1]}), tmp_path / "lake" / "other.parquet")
    with pytest.raises(UnreadableSinkFile, match=r"other\.parquet"):
        ParquetSink(Config(root=tmp_path / "lake"), _context(tmp_path)).open()


def test_create_builds_the_sink_from_a_definition_config(tmp_path: Path) -> None:
    config = Config.model_validate({"root": str(tmp_path / "lake"), "roll_rows": 2})
    sink = create(config, _context(tmp_path))
    assert sink.open() == {}
    sink.put([_record(0), _record(1)])
    assert sink.flush() == {(TOPIC, 0): 2}


def test_a_value_that_does_not_fit_its_schema_goes_to_the_dead_letters(tmp_path: Path) -> None:
    letters: list[tuple[str, str, Mapping[str, Any]]] = []
    context = ConnectorContext(
        "orders-lake", tmp_path, lambda stream, reason, raw: letters.append((stream, reason, raw))
    )
    sink = ParquetSink(Config(root=tmp_path / "lake"), context)
    sink.open()
    sink.put([_record(0), _record(1, value={**_value(1), "n": "one"}), _record(2)])
    sink.close()

    assert _query(tmp_path, "SELECT n FROM FILES ORDER BY n") == [(0,), (2,)]
    [(stream, reason, raw)] = letters
    assert stream == PRODUCT and "offset 1" in reason
    assert raw == {"topic": TOPIC, "partition": 0, "offset": 1}
    assert ParquetSink(Config(root=tmp_path / "lake"), context).open() == {(TOPIC, 0): 3}
