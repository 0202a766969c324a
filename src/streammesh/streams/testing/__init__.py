"""ksqlDB's ``ksql-test-runner`` files and their comparison with what a run produced.

``read_inputs`` / ``read_outputs`` read the input and expected-output files exactly as
ksqlDB's test runner does; ``compare(produced, expected)`` checks the records a run wrote
(``ProducedRecord``) against the expected ones and ``Comparison.render()`` is the diff that
``streammesh streams test`` prints. ``input_bytes`` and ``produced_record`` go between a
file's records and a topic's bytes in the topic's key and value formats.
"""

from __future__ import annotations

from streammesh.streams.testing.compare import (
    Comparison,
    Difference,
    ProducedRecord,
    compare,
    matches,
)
from streammesh.streams.testing.errors import MalformedTestFile, TestingError
from streammesh.streams.testing.files import (
    Header,
    TestRecord,
    Window,
    WindowType,
    parse_records,
    read_inputs,
    read_outputs,
)
from streammesh.streams.testing.records import input_bytes, produced_record

__all__ = [
    "Comparison",
    "Difference",
    "Header",
    "MalformedTestFile",
    "ProducedRecord",
    "TestRecord",
    "TestingError",
    "Window",
    "WindowType",
    "compare",
    "input_bytes",
    "matches",
    "parse_records",
    "produced_record",
    "read_inputs",
    "read_outputs",
]
