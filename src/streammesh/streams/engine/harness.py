"""Running a script over a throwaway embedded log, as ``streammesh streams test`` does.

:func:`run_test` plans the statements, creates a topic per stream and table they declare
(``PARTITIONS`` of the statement, else 1), writes the input records in their topics' formats,
runs every persistent query until its input is read to the end (queries reading another
query's output run again until nothing moves), reads the records of the topics the expected
output names and compares them with ksqlDB's test-runner rules.
"""

from __future__ import annotations

import struct
import tempfile
from collections.abc import Sequence
from pathlib import Path

from streammesh.log import (
    ConsumerOptions,
    EventLog,
    IsolationLevel,
    Record,
    TopicPartition,
    TopicSpec,
    open_log,
)
from streammesh.streams.engine.application import StreamApplication, _serdes
from streammesh.streams.formats.base import RowSerde
from streammesh.streams.functions.registry import FunctionRegistry
from streammesh.streams.plan.nodes import Aggregate, PlanNode, Source
from streammesh.streams.planner import Catalog, CatalogEntry, Script, plan_statements
from streammesh.streams.sql.parser import parse_statements
from streammesh.streams.sql.statements import HoppingWindow, SessionWindow, TumblingWindow
from streammesh.streams.testing.compare import Comparison, ProducedRecord, compare
from streammesh.streams.testing.errors import MalformedTestFile
from streammesh.streams.testing.files import (
    Header,
    TestRecord,
    Window,
    WindowType,
    read_inputs,
    read_outputs,
)
from streammesh.streams.testing.records import input_bytes, produced_record

_MAX_ROUNDS = 100


def run_test(
    sql: str,
    inputs: Sequence[TestRecord],
    expected: Sequence[TestRecord],
    *,
    input_file: str = "input.json",
    output_file: str = "output.json",
    registry: FunctionRegistry | None = None,
) -> Comparison:
    """Run the statements ``sql`` over ``inputs`` and compare what they wrote with ``expected``.

    Raises:
        SqlError: the statements do not parse (line, column and caret).
        PlanError, ExpressionError: they do not plan (unknown names, types, keys).
        MalformedTestFile: an input record names a topic no statement declares or does not
            fit its topic's columns; an expected record names such a topic.
        UnsupportedPlan: a query the engine does not run yet (aggregations, joins).
    """
    script = plan_statements(parse_statements(sql), text=sql, registry=registry)
    with tempfile.TemporaryDirectory(prefix="streammesh-test-") as directory:
        log = open_log(f"embedded://{directory}/log")
        try:
            return _run(log, script, inputs, expected, input_file, output_file, registry, directory)
        finally:
            log.close()


def _entry_for(catalog: Catalog, topic: str) -> CatalogEntry | None:
    return next((entry for entry in catalog.entries if entry.topic == topic), None)


def _serdes_of(entry: CatalogEntry) -> tuple[RowSerde, RowSerde]:
    return _serdes(entry.formats, entry.topic, entry.key_columns, entry.value_columns, None)


def _run(
    log: EventLog,
    script: Script,
    inputs: Sequence[TestRecord],
    expected: Sequence[TestRecord],
    input_file: str,
    output_file: str,
    registry: FunctionRegistry | None,
    directory: str,
) -> Comparison:
    sinks = {query.plan.topic for query in script.queries}
    for entry in script.catalog.entries:
        if entry.topic not in {t.name for t in log.list_topics()} and entry.topic not in sinks:
            log.create_topic(TopicSpec(entry.topic, partitions=entry.partitions or 1))
    for index, record in enumerate(expected):
        if _entry_for(script.catalog, record.topic) is None:
            raise MalformedTestFile(
                output_file,
                f"$.outputs[{index}].topic",
                f"topic '{record.topic}' is not the topic of any stream or table of the statements",
            )
    with log.producer() as producer:
        for index, record in enumerate(inputs):
            source = _entry_for(script.catalog, record.topic)
            path = f"$.inputs[{index}]"
            if source is None:
                raise MalformedTestFile(
                    input_file,
                    f"{path}.topic",
                    f"topic '{record.topic}' is not the topic of any stream or table of the"
                    " statements",
                )
            key_serde, value_serde = _serdes_of(source)
            key, value = input_bytes(record, key_serde, value_serde, file=input_file, path=path)
            producer.send(
                record.topic,
                value,
                key=key,
                timestamp_ms=record.timestamp if record.timestamp is not None else 0,
                headers=tuple((h.key, h.value) for h in record.headers or ()),
            )
    applications = [
        StreamApplication(
            log,
            query,
            f"streams-test-{query.id}",
            registry=registry,
            state_dir=f"{directory}/state",
        )
        for query in script.queries
    ]
    try:
        for application in applications:
            application.start()
        for _ in range(_MAX_ROUNDS):
            if sum(application.run_until_idle() for application in applications) == 0:
                break
    finally:
        for application in applications:
            application.close()
    produced: list[ProducedRecord] = []
    for topic in dict.fromkeys(record.topic for record in expected):
        sink = _entry_for(script.catalog, topic)
        assert sink is not None  # checked before running
        key_serde, value_serde = _serdes_of(sink)
        windowing = _window_of(script, topic)
        for item in _read_all(log, topic):
            key, window = _windowed_key(item.key, windowing)
            produced.append(
                produced_record(
                    topic,
                    key,
                    item.value,
                    item.timestamp_ms,
                    key_serde,
                    value_serde,
                    window=window,
                    headers=tuple(_header(h) for h in item.headers),
                )
            )
    return compare(produced, expected)


_TimeWindow = TumblingWindow | HoppingWindow | SessionWindow


def _window_of(script: Script, topic: str) -> _TimeWindow | None:
    """The window of the query writing ``topic``, if it writes windowed keys."""
    for query in script.queries:
        if query.plan.topic != topic:
            continue
        node: PlanNode = query.plan.input
        while not isinstance(node, Source):
            if isinstance(node, Aggregate):
                return node.window
            if not hasattr(node, "input"):
                break
            node = node.input  # type: ignore[union-attr]
    return None


def _windowed_key(
    data: bytes | None, window: _TimeWindow | None
) -> tuple[bytes | None, Window | None]:
    """Split a windowed key as ksqlDB writes it: the key, then the 8-byte big-endian window
    start (time windows), or the end then the start (sessions)."""
    if window is None or data is None:
        return data, None
    if isinstance(window, SessionWindow):
        end, start = struct.unpack(">qq", data[-16:])
        return data[:-16] or None, Window(start, end, WindowType.SESSION)
    (start,) = struct.unpack(">q", data[-8:])
    return data[:-8] or None, Window(start, start + window.size_ms, WindowType.TIME)


def _header(header: tuple[str, bytes]) -> Header:
    return Header(header[0], header[1])


def _read_all(log: EventLog, topic: str) -> list[Record]:
    description = log.describe_topic(topic)
    partitions = [TopicPartition(topic, p) for p in range(description.partitions)]
    options = ConsumerOptions(isolation_level=IsolationLevel.READ_COMMITTED, auto_commit=False)
    records: list[Record] = []
    with log.consumer(options) as reader:
        reader.assign(partitions)
        reader.seek_to_beginning()
        ends = reader.end_offsets(partitions)
        while any(reader.position(tp) < ends[tp] for tp in partitions):
            records.extend(reader.poll(timeout=0.2))
    records.sort(key=lambda record: (record.partition, record.offset))
    return records


def run_test_files(
    sql_file: str | Path,
    input_file: str | Path,
    output_file: str | Path,
    *,
    registry: FunctionRegistry | None = None,
) -> Comparison:
    """:func:`run_test` over ksqlDB's test-runner files: the statements, the input records
    and the expected output records.

    Raises:
        MalformedTestFile: a file that cannot be read, or is not in ksqlDB's format.
        SqlError, PlanError, ExpressionError, UnsupportedPlan: as :func:`run_test`.
    """
    sql_path = Path(sql_file)
    try:
        sql = sql_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise MalformedTestFile(
            str(sql_path), "$", f"cannot read the statements: {reason}"
        ) from None
    return run_test(
        sql,
        read_inputs(input_file),
        read_outputs(output_file),
        input_file=str(input_file),
        output_file=str(output_file),
        registry=registry,
    )
