"""The files source (``kind: files``) on real files: CSV, JSON lines and Parquet become
events, each file once across restarts, a partly read file resumes at its row, a bad line
goes to the dead letters, files still being written wait."""

from __future__ import annotations

import datetime
import decimal
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pydantic
import pytest

from streammesh.connect.base import ConnectorContext, SourceRecord
from streammesh.connect.files import Config, FileSource, FolderMissing, create


class DeadLetters(list[tuple[str, str, Mapping[str, Any]]]):
    def __call__(self, stream: str, reason: str, raw: Mapping[str, Any]) -> None:
        self.append((stream, reason, raw))


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


def source(inbox: Path, dead: DeadLetters | None = None, **settings: Any) -> FileSource:
    config = Config.model_validate(
        {
            "folder": str(inbox),
            "product": "shop.page-views",
            "key": "id",
            "stable_after": 0,
            "poll_interval": "1ms",
            **settings,
        }
    )
    letters = dead if dead is not None else DeadLetters()
    context = ConnectorContext("views-files", inbox.parent / "state", letters)
    return create(config, context)


def drop(inbox: Path, name: str, text: str, age_s: int = 60) -> Path:
    """A finished file, last modified ``age_s`` ago (files are read oldest first)."""
    path = inbox / name
    path.write_text(text)
    moment = path.stat().st_mtime - age_s
    os.utime(path, (moment, moment))
    return path


def drain(task: FileSource) -> list[SourceRecord]:
    records: list[SourceRecord] = []
    while batch := task.poll(0.001):
        records.extend(batch)
    return records


def ids(records: list[SourceRecord]) -> list[Any]:
    return [record.key for record in records]


def test_csv_rows_become_events_with_inferred_types_and_each_file_is_read_once(
    inbox: Path,
) -> None:
    drop(inbox, "a.csv", "id,page,ms,at\n1,/home,12.5,2026-01-01T10:00:00+00:00\n2,/cart,,\n", 90)
    drop(inbox, "b.csv", "id,page,ms,at\n3,/pay,7,2026-01-01T10:00:01+00:00\n", 60)
    task = source(inbox)
    task.start(None)
    records = drain(task)
    assert ids(records) == [1, 2, 3]
    assert records[0].value == {
        "id": 1,
        "page": "/home",
        "ms": 12.5,
        "at": datetime.datetime(2026, 1, 1, 10, tzinfo=datetime.UTC),
    }
    assert records[1].value == {"id": 2, "page": "/cart", "ms": None, "at": None}
    assert records[0].headers == {"file": "a.csv"} and records[2].stream == "b.csv"
    schema = json.loads(task.schemas()["shop.page-views"])
    types = {field["name"]: field["type"][1] for field in schema["fields"]}
    assert types["id"] == "long" and types["ms"] == "double" and types["page"] == "string"
    assert types["at"]["logicalType"] == "timestamp-micros"
    task.close()
    # Restarted at the last committed position: nothing again; a new file: only it.
    restarted = source(inbox)
    restarted.start(json.loads(json.dumps(records[-1].position)))
    assert drain(restarted) == []
    drop(inbox, "c.csv", "id,page,ms,at\n4,/home,1,\n", 30)
    assert ids(drain(restarted)) == [4]
    restarted.close()


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("views.jsonl", "".join(f'{{"id": {n}, "page": "/p{n}"}}\n' for n in range(7))),
        ("views.csv", "id,page\n" + "".join(f'{n},"/p\n{n}"\n' for n in range(7))),
    ],
)
def test_a_partly_read_file_resumes_at_its_row(inbox: Path, name: str, text: str) -> None:
    drop(inbox, name, text)
    task = source(inbox, batch_rows=3)
    task.start(None)
    first = task.poll(0.001)
    assert ids(first) == [0, 1, 2]
    committed = first[1].position  # the worker committed up to id 1, then died
    assert committed["files"][name]["row"] == 2
    assert committed["files"][name]["done"] is False
    task.close()
    restarted = source(inbox, batch_rows=3)
    restarted.start(committed)
    records = drain(restarted)
    assert ids(records) == [2, 3, 4, 5, 6]
    assert records[-1].position["files"][name]["done"] is True
    restarted.close()


def test_a_bad_line_goes_to_the_dead_letters_and_the_rest_of_the_file_goes_on(
    inbox: Path,
) -> None:
    dead = DeadLetters()
    drop(inbox, "a.jsonl", '{"id": 1}\nnot json at all\n[1, 2]\n{"id": 4}\n', 90)
    drop(inbox, "b.csv", "id,page\n5,/a\n6,/b,extra\n7,/c\n", 60)
    task = source(inbox, dead)
    task.start(None)
    assert ids(drain(task)) == [1, 4, 5, 7]
    assert [(stream, raw["row"]) for stream, _, raw in dead] == [
        ("a.jsonl", 1),
        ("a.jsonl", 2),
        ("b.csv", 1),
    ]
    reasons = [reason for _, reason, _ in dead]
    assert "line 2: not JSON" in reasons[0]
    assert "not a JSON object" in reasons[1]
    assert "3 fields where the header has 2" in reasons[2]
    assert dead[2][2]["text"] == "6,/b,extra"
    task.close()


def test_a_value_that_does_not_fit_the_given_type_is_a_dead_letter(inbox: Path) -> None:
    dead = DeadLetters()
    drop(inbox, "a.csv", "id,amount\n1,10.50\n2,ten\n3,0.1\n")
    task = source(inbox, dead, columns={"amount": "numeric(8,2)"})
    task.start(None)
    records = drain(task)
    assert [(r.key, r.value and r.value["amount"]) for r in records] == [
        (1, decimal.Decimal("10.50")),
        (3, decimal.Decimal("0.10")),
    ]
    [(stream, reason, raw)] = dead
    assert stream == "a.csv" and "'amount'" in reason and raw["amount"] == "ten"
    task.close()


def test_parquet_rows_with_the_arrow_schema(inbox: Path) -> None:
    table = pa.table(
        {
            "id": pa.array([1, 2], pa.int32()),
            "price": pa.array([decimal.Decimal("1.25"), None], pa.decimal128(9, 2)),
            "day": pa.array([datetime.date(2026, 1, 1)] * 2, pa.date32()),
            "at": pa.array(
                [datetime.datetime(2026, 1, 1, 9, tzinfo=datetime.UTC)] * 2,
                pa.timestamp("us", tz="UTC"),
            ),
            "tags": pa.array([["a"], []], pa.list_(pa.string())),
        }
    )
    pq.write_table(table, inbox / "views.parquet", row_group_size=1)
    task = source(inbox, batch_rows=1)
    task.start(None)
    first = task.poll(0.001)
    assert ids(first) == [1]
    fields = {
        field["name"]: field["type"][1]
        for field in json.loads(task.schemas()["shop.page-views"])["fields"]
    }
    assert fields["id"] == "int"
    assert fields["price"] == {
        "type": "bytes",
        "logicalType": "decimal",
        "precision": 9,
        "scale": 2,
    }
    assert fields["day"]["logicalType"] == "date"
    assert fields["at"]["logicalType"] == "timestamp-micros"
    task.close()
    restarted = source(inbox)
    restarted.start(first[0].position)
    [second] = drain(restarted)
    assert second.value == {
        "id": 2,
        "price": None,
        "day": datetime.date(2026, 1, 1),
        "at": datetime.datetime(2026, 1, 1, 9, tzinfo=datetime.UTC),
        "tags": "[]",
    }
    restarted.close()


def test_a_file_still_being_written_waits_until_it_is_stable(inbox: Path) -> None:
    task = source(inbox, stable_after="1h")
    task.start(None)
    fresh = inbox / "now.csv"
    fresh.write_text("id\n1\n")  # modified just now: a writer may still be appending
    (inbox / ".hidden.csv").write_text("id\n2\n")
    drop(inbox, "partial.csv.part", "id\n3\n")
    assert drain(task) == []
    moment = fresh.stat().st_mtime - 7200
    os.utime(fresh, (moment, moment))  # untouched for two hours
    assert ids(drain(task)) == [1]
    task.close()


def test_a_file_renamed_into_the_folder_is_read_at_once(inbox: Path) -> None:
    task = source(inbox, stable_after=0)
    task.start(None)
    (inbox / "views.csv.tmp").write_text("id\n1\n2\n")
    assert drain(task) == []
    (inbox / "views.csv.tmp").rename(inbox / "views.csv")
    assert ids(drain(task)) == [1, 2]
    task.close()


def test_finished_files_move_to_done_once_committed(inbox: Path) -> None:
    drop(inbox, "a.csv", "id\n1\n2\n")
    task = source(inbox, move_done=True)
    task.start(None)
    records = drain(task)
    assert ids(records) == [1, 2]
    task.committed(records[0].position)  # not finished in that position: stays
    assert (inbox / "a.csv").exists()
    task.committed(records[-1].position)
    assert not (inbox / "a.csv").exists()
    assert (inbox / "done" / "a.csv").read_text() == "id\n1\n2\n"
    drop(inbox, "b.csv", "id\n3\n")
    [record] = drain(task)
    assert list(record.position["files"]) == ["b.csv"]  # the moved file left the position
    task.close()


def test_a_crash_after_commit_before_the_move_still_moves_and_never_rereads(
    inbox: Path,
) -> None:
    drop(inbox, "a.csv", "id\n1\n")
    task = source(inbox, move_done=True)
    task.start(None)
    [record] = drain(task)
    task.close()  # died before committed() was called
    restarted = source(inbox, move_done=True)
    restarted.start(record.position)
    assert (inbox / "done" / "a.csv").exists()
    assert drain(restarted) == []
    restarted.close()


def test_new_content_under_a_finished_file_name_is_read(inbox: Path) -> None:
    drop(inbox, "daily.csv", "id\n1\n", 120)
    task = source(inbox)
    task.start(None)
    [first] = drain(task)
    drop(inbox, "daily.csv", "id\n2\n", 60)  # same size, new content and time
    assert ids(drain(task)) == [2]
    os.utime(inbox / "daily.csv")  # touched, same content: not again
    assert drain(task) == []
    task.close()
    del first


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    task = source(tmp_path / "nowhere")
    with pytest.raises(FolderMissing, match=r"'.*nowhere' does not exist"):
        task.start(None)


def test_a_column_type_files_cannot_have_is_refused() -> None:
    with pytest.raises(pydantic.ValidationError, match="column 'amount': 'monye'"):
        Config.model_validate({"folder": "/tmp", "product": "a.b", "columns": {"amount": "monye"}})


def test_rows_appended_to_a_read_file_are_read_and_the_old_ones_not_again(
    inbox: Path,
) -> None:
    drop(inbox, "log.jsonl", '{"id": 1}\n{"id": 2}\n', 120)
    task = source(inbox)
    task.start(None)
    first = drain(task)
    assert ids(first) == [1, 2]
    task.close()
    with (inbox / "log.jsonl").open("a") as handle:
        handle.write('{"id": 3}\n')
    moment = (inbox / "log.jsonl").stat().st_mtime - 60
    os.utime(inbox / "log.jsonl", (moment, moment))
    restarted = source(inbox)
    restarted.start(first[-1].position)
    assert ids(drain(restarted)) == [3]
    restarted.close()
