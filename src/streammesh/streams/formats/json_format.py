"""ksqlDB's JSON format: a row as a JSON object of its columns, or one bare value.

Several columns (and, by default, one value column) are written as an object whose property
names are the column names; reading matches property names to columns in any case, taking the
first match, and a missing property is NULL. A single key column, or a single value column with
``WRAP_SINGLE_VALUE=false``, is written as the bare JSON value. Payloads that JSON_SR wrote
(magic byte 0 and a schema id before the JSON) are read too, as ksqlDB's JSON format does.

Numbers are read exactly (fractions as ``Decimal``, as Jackson's ``BigDecimal``). When no
column needs that (no DECIMAL, ARRAY, MAP or STRUCT column) records are parsed by orjson,
fractions as doubles, and only a record whose floats could read differently is parsed again
exactly (see ``values.float_reader_for``); rows of scalar columns are written by orjson
(see ``json_compiled``). Either way the rows, bytes and errors are the exact path's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from json.encoder import encode_basestring
from operator import itemgetter
from typing import cast

import orjson

from streammesh.streams.formats.base import Column, FormatName, Row
from streammesh.streams.formats.errors import DeserializationFailed, SerializationFailed
from streammesh.streams.formats.json_compiled import compile_reader, compile_writer
from streammesh.streams.formats.values import (
    InexactNumber,
    ValueMismatch,
    describe,
    dumps,
    float_reader_for,
    from_json,
    java_double,
    reader_for,
    writer_for,
)
from streammesh.streams.types import BaseType, SqlType

_WIRE_HEADER = 5
_DECODER = json.JSONDecoder(parse_float=Decimal)
"""One decoder for every parse: ``json.loads(..., parse_float=...)`` builds a new one per
call, which costs more than parsing a small record."""
_SCAN: Callable[[str, int], tuple[object, int]] = _DECODER.scan_once  # type: ignore[attr-defined]
_BOM = "\ufeff"
_NAME_CACHE_MAX = 1_024
"""Property names remembered per serde; more (documents with ever new names) start over."""

_Match = tuple[tuple[int, bool], ...]
"""The columns one property name matches: (column index, whether the name is exact)."""
_Reader = Callable[[object, SqlType, str], object]
_FLAT = frozenset(
    {
        BaseType.BOOLEAN,
        BaseType.INTEGER,
        BaseType.BIGINT,
        BaseType.DOUBLE,
        BaseType.STRING,
        BaseType.BYTES,
        BaseType.DATE,
        BaseType.TIME,
        BaseType.TIMESTAMP,
    }
)
"""Types whose JSON form is one bool, int, float or str (what orjson can write)."""


class JsonSerde:
    """Rows to JSON text and back (see the module)."""

    __slots__ = (
        "_columns",
        "_compiled",
        "_float_plans",
        "_float_readers",
        "_folded",
        "_format",
        "_keys",
        "_matches",
        "_orjson_writer",
        "_plans",
        "_readers",
        "_typed",
        "_wrapped",
        "_writers",
    )

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        wrapped: bool,
        format_name: FormatName = FormatName.JSON,
    ) -> None:
        """Args:
        columns: The columns of the key or the value.
        wrapped: Write an object of the columns; ``False`` (one column only) the bare value.
        format_name: How messages name the format.
        """
        self._columns = tuple(columns)
        self._wrapped = wrapped
        self._format = format_name
        # Precomputed so that a record costs one pass over its properties (see _match).
        self._folded = tuple(column.name.casefold() for column in self._columns)
        self._matches: dict[object, _Match] = {}
        self._readers: tuple[_Reader, ...] = tuple(
            reader_for(column.type) for column in self._columns
        )
        self._typed = tuple(
            (reader, column.type, column.name)
            for reader, column in zip(self._readers, self._columns, strict=True)
        )
        # Per sequence of property names seen, the property each column takes (see _plan).
        self._plans: dict[tuple[object, ...], Callable[[dict[str, object]], list[object]]] = {}
        self._writers = tuple(writer_for(column.type, column.name) for column in self._columns)
        # Property names as written: JSON strings as ``dumps`` writes them (UTF-8, not
        # ASCII-escaped; as_jackson_writes escapes what Jackson escapes).
        self._keys = tuple(
            json.dumps(column.name, ensure_ascii=False) + ":" for column in self._columns
        )
        # Chosen once per schema (see deserialize): orjson parses the records when no column
        # needs every digit of a fraction (no DECIMAL, ARRAY, MAP or STRUCT column).
        floats = [float_reader_for(column.type) for column in self._columns]
        self._float_readers: tuple[_Reader, ...] | None = None
        if all(reader is not None for reader in floats):
            self._float_readers = tuple(cast(list[_Reader], floats))
        # Per sequence of property names seen, the compiled reader of such objects.
        self._float_plans: dict[tuple[str, ...], Callable[[dict[str, object]], Row]] = {}
        # The compiled readers by the property each column takes: documents of ever new
        # shapes (extra properties) share one, so compiling stays rare.
        self._compiled: dict[tuple[object, ...], Callable[[dict[str, object]], Row]] = {}
        # And orjson writes rows whose values are all scalars and whose property names it
        # writes as ``json.dumps`` does (see serialize).
        names = [column.name for column in self._columns]
        self._orjson_writer: Callable[[Sequence[object]], object] | None = None
        if (
            all(type(column.type) is SqlType and column.type.base in _FLAT for column in columns)
            and len(set(names)) == len(names)
            and all(
                orjson.dumps(name) == key[:-1].encode()
                for name, key in zip(names, self._keys, strict=True)
            )
        ):
            self._orjson_writer = compile_writer(self._columns, wrapped=wrapped)

    @property
    def columns(self) -> tuple[Column, ...]:
        """The columns, in order."""
        return self._columns

    @property
    def wrapped(self) -> bool:
        """Whether rows are JSON objects (``False``: one bare value)."""
        return self._wrapped

    def to_document(self, row: Sequence[object]) -> object:
        """The JSON document (Python data, decimals as ``Decimal``) that ``row`` is written as.

        Raises:
            SerializationFailed: a value does not fit its column.
        """
        values = self._json_values(row)
        if not self._wrapped:
            return values[0]
        return {column.name: value for column, value in zip(self._columns, values, strict=True)}

    def _json_values(self, row: Sequence[object]) -> list[object]:
        """The JSON form of each value of ``row``, in column order."""
        if len(row) != len(self._columns):
            raise SerializationFailed(
                self._format,
                ", ".join(column.name for column in self._columns),
                f"the row has {len(row)} values for {len(self._columns)} columns",
            )
        try:
            return [write(value) for write, value in zip(self._writers, row, strict=True)]
        except ValueMismatch as exc:
            raise SerializationFailed(self._format, exc.path, exc.reason) from None

    def serialize(self, row: Sequence[object] | None) -> bytes | None:
        """UTF-8 JSON text of ``row``; ``None`` (and a bare NULL) is a null record."""
        if row is None:
            return None
        write = self._orjson_writer
        if write is not None and len(row) == len(self._columns):
            # The same bytes from orjson (see json_compiled): it writes ints, strings
            # (escaped as ``encode_basestring``), true/false/null and plain-range doubles as
            # Jackson does, and is given Java's text for any other double.
            try:
                if self._wrapped:
                    return as_jackson_writes(cast(bytes, write(row)))
                value = write(row)
                return None if value is None else as_jackson_writes(orjson.dumps(value))
            except ValueMismatch as exc:
                raise SerializationFailed(self._format, exc.path, exc.reason) from None
            except orjson.JSONEncodeError:
                pass  # a lone surrogate, which orjson refuses: the text below as ever
        values = self._json_values(row)
        if not self._wrapped:
            if values[0] is None:
                return None
            return as_jackson_writes(_dump(values[0]).encode("utf-8", "surrogatepass"))
        # The text ``dumps(self.to_document(row))`` writes, built in one pass over the columns.
        parts = [key + _dump(value) for key, value in zip(self._keys, values, strict=True)]
        return as_jackson_writes(("{" + ",".join(parts) + "}").encode("utf-8", "surrogatepass"))

    def from_document(self, document: object) -> Row:
        """The row a parsed JSON document holds.

        Raises:
            DeserializationFailed: naming the column whose value does not fit, or saying the
                document is not an object when columns are wrapped.
        """
        if not self._wrapped:
            column = self._columns[0]
            return (self._read(document, column),)
        if not isinstance(document, Mapping):
            raise DeserializationFailed(
                self._format,
                f"expected a JSON object with the columns "
                f"{', '.join(column.name for column in self._columns)}, got {describe(document)}",
            )
        if type(document) is dict:
            # The usual case: documents of one shape, whose plan is known.
            names = tuple(document)
            plan = self._plans.get(names)
            if plan is None:
                plan = self._plan(names)
            try:
                return tuple(
                    [
                        None if value is None else read(value, kind, name)
                        for value, (read, kind, name) in zip(
                            plan(document), self._typed, strict=True
                        )
                    ]
                )
            except ValueMismatch as exc:
                raise DeserializationFailed(self._format, exc.reason, exc.path) from None
        columns = self._columns
        values: list[object] = [None] * len(columns)
        # Per column: 0 no property yet, 1 a property of another case, 2 the exact name. As
        # ``values.lookup``: the exact name wins, else the first property in any case.
        found = [0] * len(columns)
        matches = self._matches
        for name, item in document.items():
            match = matches.get(name)
            if match is None:
                match = self._match(name)
            for index, exact in match:
                if exact:
                    values[index] = item
                    found[index] = 2
                elif not found[index]:
                    values[index] = item
                    found[index] = 1
        readers = self._readers
        try:
            for index, value in enumerate(values):
                if value is not None:
                    column = columns[index]
                    values[index] = readers[index](value, column.type, column.name)
        except ValueMismatch as exc:
            raise DeserializationFailed(self._format, exc.reason, exc.path) from None
        return tuple(values)

    def _float_row(self, document: dict[str, object]) -> Row:
        """:meth:`from_document` of an object orjson parsed (see :func:`float_reader_for`).

        Raises:
            InexactNumber: a value needs the exact parse.
            DeserializationFailed: as :meth:`from_document`.
        """
        names = tuple(document)
        read = self._float_plans.get(names)
        if read is None:
            assert self._float_readers is not None
            taken, found = self._taken(names)
            present = tuple(name if found[i] else None for i, name in enumerate(taken))
            read = self._compiled.get(present)
            if read is None:
                read = compile_reader(self._columns, self._float_readers, cast(list[str], present))
                if len(self._compiled) >= _NAME_CACHE_MAX:
                    self._compiled.clear()
                self._compiled[present] = read
            if len(self._float_plans) >= _NAME_CACHE_MAX:
                self._float_plans.clear()
            self._float_plans[names] = read
        try:
            return read(document)
        except ValueMismatch as exc:
            raise DeserializationFailed(self._format, exc.reason, exc.path) from None

    def _checked(self, read: _Reader, value: object, kind: SqlType, name: str) -> object:
        """One bare value through ``read``, a mismatch as the format's error."""
        if value is None:
            return None
        try:
            return read(value, kind, name)
        except ValueMismatch as exc:
            raise DeserializationFailed(self._format, exc.reason, exc.path) from None

    def _plan(self, names: tuple[object, ...]) -> Callable[[dict[str, object]], list[object]]:
        """For documents with exactly these property names, in this order: the values each
        column takes, by the rule of :meth:`from_document` (the exact name, else the first
        property of another case), as one C-level item getter."""
        taken, found = self._taken(names)
        plan: Callable[[dict[str, object]], list[object]]
        if not all(found):
            present = [(index, name) for index, name in enumerate(taken) if found[index]]
            width = len(taken)

            def partial(document: dict[str, object]) -> list[object]:
                values: list[object] = [None] * width
                for index, name in present:
                    values[index] = document[name]  # type: ignore[index]
                return values

            plan = partial
        elif len(taken) == 1:
            only = taken[0]
            plan = lambda document: [document[only]]  # type: ignore[index]  # noqa: E731
        else:
            getter = itemgetter(*taken)
            plan = lambda document: getter(document)  # noqa: E731
        if len(self._plans) >= _NAME_CACHE_MAX:
            self._plans.clear()
        self._plans[names] = plan
        return plan

    def _taken(self, names: tuple[object, ...]) -> tuple[list[object], list[int]]:
        """The property each column takes among ``names`` and how it was found (0 none, 1
        another case, 2 the exact name), by the rule of :meth:`from_document`."""
        taken: list[object] = [None] * len(self._columns)
        found = [0] * len(self._columns)
        for name in names:
            match = self._matches.get(name)
            if match is None:
                match = self._match(name)
            for index, exact in match:
                if exact:
                    taken[index], found[index] = name, 2
                elif not found[index]:
                    taken[index], found[index] = name, 1
        return taken, found

    def _match(self, name: object) -> _Match:
        """The columns the property ``name`` matches, remembered for the next records."""
        folded = name.casefold() if isinstance(name, str) else None
        match = tuple(
            (index, name == column.name)
            for index, column in enumerate(self._columns)
            if name == column.name or (folded is not None and folded == self._folded[index])
        )
        if len(self._matches) >= _NAME_CACHE_MAX:
            self._matches.clear()
        self._matches[name] = match
        return match

    def _read(self, value: object, column: Column) -> object:
        try:
            return from_json(value, column.type, column.name)
        except ValueMismatch as exc:
            column_path = exc.path
            raise DeserializationFailed(self._format, exc.reason, column_path) from None

    def deserialize(self, data: bytes | None) -> Row | None:
        """The row of a JSON record (``None`` for a null record or a JSON ``null``)."""
        if data is None:
            return None
        if self._float_readers is not None:
            # orjson first: anything it refuses (NaN, a number beyond a double, a lone
            # surrogate, a byte order mark, bad UTF-8) and any value whose float it cannot
            # vouch for (a fraction, or an integer beyond 64 bits, read into anything but a
            # DOUBLE) are left to the exact parse below: the same row or error as ever.
            payload = data[_WIRE_HEADER:] if data[:1] == b"\x00" else data
            try:
                document = orjson.loads(payload)
            except orjson.JSONDecodeError:
                pass
            else:
                if document is None:
                    return None
                try:
                    if not self._wrapped:
                        column = self._columns[0]
                        read = self._float_readers[0]
                        return (self._checked(read, document, column.type, column.name),)
                    if type(document) is dict:
                        return self._float_row(document)
                except InexactNumber:
                    pass
        document = parse_json(data, self._format)
        if document is None:
            return None
        return self.from_document(document)


def parse_json(data: bytes, format_name: str) -> object:
    """The document in ``data`` (numbers with a fraction as ``Decimal``), skipping a Confluent
    wire-format header.

    Raises:
        DeserializationFailed: the bytes are not UTF-8 JSON; it gives the line and column.
    """
    if data[:1] == b"\x00" and len(data) >= _WIRE_HEADER:
        data = data[_WIRE_HEADER:]
    try:
        text = data.decode("utf-8")
        if text.startswith(_BOM):  # as json.loads, which the decoder alone does not check
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        # The decoder's C scanner on its own: a document with no whitespace around it (what
        # producers write) skips decode()'s Python frames and regular expressions. Anything
        # else goes through decode(), which gives the same document or the same error.
        try:
            document, end = _SCAN(text, 0)
        except StopIteration:
            return _DECODER.decode(text)
        if end != len(text):
            return _DECODER.decode(text)
        return document
    except UnicodeDecodeError as exc:
        raise DeserializationFailed(
            format_name, f"not UTF-8 text (byte {exc.start} is invalid)"
        ) from None
    except json.JSONDecodeError as exc:
        raise DeserializationFailed(
            format_name, f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None


_JACKSON_ESCAPES = re.compile(
    rb"\\\\|\\u00([01][a-f])|[\xf0-\xf4][\x80-\xbf]{3}|\xed[\xa0-\xbf][\x80-\xbf]"
)
"""What Jackson's UTF-8 writer (``UTF8JsonGenerator``) writes otherwise than orjson and
``json``: the hex digits of a control character's escape in upper case (``\\u001F``), and
each UTF-16 surrogate as an escape of its own (``\\uD83D\\uDE00`` for U+1F600, ``\\uD800``
for a lone surrogate) rather than as UTF-8 bytes. An escaped backslash (``\\\\``) is matched
first so that the text after it is never taken for an escape."""


def as_jackson_writes(text: bytes) -> bytes:
    """JSON text (UTF-8, lone surrogates as ``surrogatepass`` writes them) with its escapes
    as ksqlDB's Jackson writes them (see ``_JACKSON_ESCAPES``); the same object when there is
    nothing to change, which is most text (ASCII without a backslash)."""
    if text.isascii() and b"\\" not in text:
        return text
    return _JACKSON_ESCAPES.sub(_jackson_escape, text)


def _jackson_escape(found: re.Match[bytes]) -> bytes:
    matched = found.group()
    if matched == b"\\\\":
        return matched
    digits = found.group(1)
    if digits is not None:
        return b"\\u00" + digits.upper()
    code = ord(matched.decode("utf-8", "surrogatepass"))
    if code > 0xFFFF:  # two UTF-16 units, as a Java string holds it
        code -= 0x10000
        return b"\\u%04X\\u%04X" % (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF))
    return b"\\u%04X" % code


def _dump(value: object) -> str:
    """``dumps(value)``, with the common scalar types written without its dispatch."""
    kind = type(value)
    if kind is str:
        return encode_basestring(cast(str, value))
    if kind is float:
        return java_double(cast(float, value))
    if kind is int:
        return int.__repr__(cast(int, value))
    if value is None:
        return "null"
    return dumps(value)
