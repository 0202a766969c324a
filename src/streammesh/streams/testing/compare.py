"""Comparing the records a run produced with an output file's expected records, as
``ksql-test-runner`` does, and the diff the CLI prints.

Records are compared per topic named in the output file, in order; topics the file does not
name are not checked. Per record: the key and the value (see :func:`matches`), the window
(an expected record without one matches only a record without one), the headers (none
expected when the file gives none) and the timestamp (any, when the file gives none).
"""

from __future__ import annotations

import base64
import datetime
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from streammesh.streams.testing.files import Header, TestRecord, Window

_EPOCH = datetime.date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class ProducedRecord:
    """A record a run wrote to a topic, its key and value as the topic's format presents them
    (an object of columns, a bare value, DELIMITED text). Rows' Python values are accepted:
    ``Decimal``, ``bytes`` (compared as base64), ``date`` (days), ``time`` (ms of the day),
    ``datetime`` (epoch ms)."""

    topic: str
    key: object
    value: object
    timestamp: int
    window: Window | None = None
    headers: tuple[Header, ...] = ()


@dataclass(frozen=True, slots=True)
class Difference:
    """One way a topic's records differ from the expected ones.

    ``index`` is the record's position in the topic (``None`` for the record count);
    ``field`` is ``count``, ``key``, ``value``, ``timestamp``, ``window`` or ``headers``,
    with a path inside a key or value (``value.TOTAL``, ``value.ITEMS[1]``).
    """

    topic: str
    index: int | None
    field: str
    expected: str
    actual: str


@dataclass(frozen=True, slots=True)
class Comparison:
    """The outcome of :func:`compare`: no differences means the test passed."""

    differences: tuple[Difference, ...]
    checked: int
    """How many expected records were compared."""

    @property
    def passed(self) -> bool:
        """Whether every expected record was produced, and nothing else on those topics."""
        return not self.differences

    def render(self) -> str:
        """The readable diff: per topic and record, each field with expected and actual."""
        if self.passed:
            return f"Test passed: {self.checked} expected records matched."
        lines: list[str] = []
        last: tuple[str, int | None] | None = None
        for difference in self.differences:
            place = (difference.topic, difference.index)
            if place != last:
                record = (
                    "record count" if difference.index is None else f"record {difference.index}"
                )
                lines.append(f"Topic '{difference.topic}', {record}:")
                last = place
            lines.append(f"  {difference.field}: expected {difference.expected}")
            lines.append(f"  {' ' * len(difference.field)}    actual {difference.actual}")
        count = len(self.differences)
        lines.append(f"Test failed: {count} difference{'s' if count != 1 else ''}.")
        return "\n".join(lines)


def compare(produced: Sequence[ProducedRecord], expected: Sequence[TestRecord]) -> Comparison:
    """Compare the ``produced`` records with an output file's ``expected`` ones (see module)."""
    differences: list[Difference] = []
    topics = list(dict.fromkeys(record.topic for record in expected))
    for topic in topics:
        wanted = [record for record in expected if record.topic == topic]
        actual = [record for record in produced if record.topic == topic]
        if len(actual) != len(wanted):
            differences.append(
                Difference(topic, None, "count", f"{len(wanted)} records", f"{len(actual)} records")
            )
        for index, (want, got) in enumerate(zip(wanted, actual, strict=False)):
            differences.extend(_record_differences(topic, index, want, got))
        for index in range(len(actual), len(wanted)):
            differences.append(
                Difference(topic, index, "record", _record_text(wanted[index]), "(no record)")
            )
        for index in range(len(wanted), len(actual)):
            differences.append(
                Difference(topic, index, "record", "(no record)", _produced_text(actual[index]))
            )
    return Comparison(tuple(differences), len(expected))


def _record_differences(
    topic: str, index: int, want: TestRecord, got: ProducedRecord
) -> list[Difference]:
    found: list[Difference] = []
    if want.window != got.window:
        found.append(
            Difference(topic, index, "window", _window_text(want.window), _window_text(got.window))
        )
    for field, expected, actual in (("key", want.key, got.key), ("value", want.value, got.value)):
        for path, wanted_text, actual_text in _differences(expected, _comparable(actual), field):
            found.append(Difference(topic, index, path, wanted_text, actual_text))
    headers = want.headers or ()
    if headers != got.headers:
        found.append(
            Difference(topic, index, "headers", _headers_text(headers), _headers_text(got.headers))
        )
    if want.timestamp is not None and want.timestamp != got.timestamp:
        found.append(Difference(topic, index, "timestamp", str(want.timestamp), str(got.timestamp)))
    return found


def matches(actual: object, expected: object) -> bool:
    """ksqlDB's rule for an actual key or value against the file's JSON.

    Objects match maps with as many entries whose values match (a property found as
    written or in upper case); arrays match element by element; a JSON integer matches an
    integer, a double or a decimal with no fraction digits of the same value; a JSON
    number with a fraction matches a double of that value or a decimal with the same digits
    and scale (``1.50`` is not ``1.5``); a string matches that string, or a decimal whose
    text it is (with its scale); BYTES compare as base64 text.
    """
    return not _differences(expected, _comparable(actual), "")


def _comparable(value: object) -> object:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
        return int(aware.timestamp() * 1000)
    if isinstance(value, datetime.date):
        return (value - _EPOCH).days
    if isinstance(value, datetime.time):
        return (value.hour * 3600 + value.minute * 60 + value.second) * 1000 + (
            value.microsecond // 1000
        )
    if isinstance(value, Mapping):
        return {key: _comparable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_comparable(item) for item in value]
    return value


def _differences(expected: object, actual: object, path: str) -> list[tuple[str, str, str]]:
    here = [(path, _text(expected), _text(actual))]
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return here
        found: list[tuple[str, str, str]] = []
        for name, item in expected.items():
            present = name in actual or str(name).upper() in actual
            value = actual.get(name, actual.get(str(name).upper()))
            if not present and item is not None:
                found.append((f"{path}.{name}", _text(item), "(missing)"))
                continue
            found.extend(_differences(item, value, f"{path}.{name}"))
        known = {str(name) for name in expected} | {str(name).upper() for name in expected}
        for name, item in actual.items():
            if str(name) not in known:
                found.append((f"{path}.{name}", "(absent)", _text(item)))
        if not found and len(actual) != len(expected):
            return here
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return here
        if len(actual) != len(expected):
            return here
        found = []
        for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
            found.extend(_differences(want, got, f"{path}[{index}]"))
        return found
    return [] if _scalar_matches(actual, expected) else here


def _scalar_matches(actual: object, expected: object) -> bool:
    if expected is None:
        return actual is None
    if isinstance(expected, bool):
        return isinstance(actual, bool) and actual == expected
    if isinstance(expected, str):
        if isinstance(actual, Decimal):
            try:
                return _same_decimal(Decimal(expected), actual)
            except ArithmeticError:
                return False
        return isinstance(actual, str) and actual == expected
    if isinstance(expected, int | Decimal):
        if isinstance(actual, bool) or not isinstance(actual, int | float | Decimal):
            return False
        if isinstance(actual, Decimal):
            if isinstance(expected, int):
                return int(actual.as_tuple().exponent) >= 0 and actual == expected
            return _same_decimal(expected, actual)
        if isinstance(actual, float):
            return float(expected) == actual
        return actual == expected
    return False


def _same_decimal(expected: Decimal, actual: Decimal) -> bool:
    # Java's BigDecimal.equals: the same value at the same scale.
    return expected == actual and expected.as_tuple().exponent == actual.as_tuple().exponent


def _text(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_text(item) for item in value) + "]"
    try:
        return json.dumps(value, ensure_ascii=False)
    except TypeError:
        return repr(value)


def _window_text(window: Window | None) -> str:
    if window is None:
        return "no window"
    return f"{window.type.value.lower()} window [{window.start}, {window.end})"


def _headers_text(headers: Sequence[Header]) -> str:
    if not headers:
        return "no headers"
    shown = ", ".join(
        f"{header.key}={base64.b64encode(header.value).decode('ascii')}" for header in headers
    )
    return f"[{shown}]"


def _record_text(record: TestRecord) -> str:
    text = f"key {_text(record.key)}, value {_text(record.value)}"
    if record.timestamp is not None:
        text += f", timestamp {record.timestamp}"
    if record.window is not None:
        text += f", {_window_text(record.window)}"
    return text


def _produced_text(record: ProducedRecord) -> str:
    text = (
        f"key {_text(_comparable(record.key))}, value {_text(_comparable(record.value))}, "
        f"timestamp {record.timestamp}"
    )
    if record.window is not None:
        text += f", {_window_text(record.window)}"
    return text
