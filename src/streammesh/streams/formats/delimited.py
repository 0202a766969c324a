"""ksqlDB's DELIMITED format: one line of delimited text, a field per column.

Like ksqlDB (Apache Commons CSV's default format with the chosen delimiter): a field is
quoted with ``"`` when it holds the delimiter, a quote, a line break, when it starts with a
character up to ``#`` or (first field only) outside printable ASCII, or ends with a space or
a control character; a quote inside is doubled. An empty field, quoted or not, is NULL, so an
empty string is written as NULL too. BOOLEAN is ``true`` when the text is ``true`` in any case
and ``false`` otherwise (Java's ``Boolean.parseBoolean``); DECIMAL is written in plain
notation; BYTES as base64, DATE as days since the epoch, TIME as milliseconds of the day and
TIMESTAMP as milliseconds since the epoch. ARRAY, MAP and STRUCT columns are refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from streammesh.streams.formats.base import Column, FormatName, Row
from streammesh.streams.formats.errors import (
    DeserializationFailed,
    SerializationFailed,
    UnsupportedFormat,
)
from streammesh.streams.formats.values import (
    ValueMismatch,
    from_json,
    java_double,
    to_json,
)
from streammesh.streams.types import BaseType, DecimalType, type_text

_NAMED_DELIMITERS = {"TAB": "\t", "SPACE": " "}
_NESTED = frozenset({BaseType.ARRAY, BaseType.MAP, BaseType.STRUCT})
_QUOTE = '"'
_FORMAT = FormatName.DELIMITED


def delimiter_char(text: str) -> str:
    """The delimiter a ``VALUE_DELIMITER`` / ``KEY_DELIMITER`` property names.

    Raises:
        UnsupportedFormat: not one character (nor ``TAB``/``SPACE``), or a character that
            cannot delimit (a quote, a line break, a real space or tab).
    """
    named = _NAMED_DELIMITERS.get(text.upper())
    if named is not None:
        return named
    if text in ("\t", " "):
        raise UnsupportedFormat(
            _FORMAT, "for space- and tab-delimited values use the special values SPACE or TAB"
        )
    if len(text) != 1:
        raise UnsupportedFormat(
            _FORMAT,
            f"the delimiter must be a single character or TAB or SPACE, got '{text}'",
        )
    if text in (_QUOTE, "\r", "\n"):
        raise UnsupportedFormat(_FORMAT, f"the delimiter cannot be {text!r}")
    return text


class DelimitedSerde:
    """Rows to one delimited line and back (see the module)."""

    __slots__ = ("_columns", "_delimiter")

    def __init__(self, columns: Sequence[Column], *, delimiter: str = ",") -> None:
        """Args:
        columns: The columns, in field order.
        delimiter: The ``VALUE_DELIMITER`` property as written (``","``, ``"TAB"``...).

        Raises:
            UnsupportedFormat: a nested column, or a delimiter that is not allowed.
        """
        for column in columns:
            if column.type.base in _NESTED:
                raise UnsupportedFormat(
                    _FORMAT,
                    f"DELIMITED does not support type {type_text(column.type)}",
                    column.name,
                )
        self._columns = tuple(columns)
        self._delimiter = delimiter_char(delimiter)

    @property
    def columns(self) -> tuple[Column, ...]:
        """The columns, in order."""
        return self._columns

    @property
    def wrapped(self) -> bool:
        """Always ``False``: a row is a line of fields, not an object."""
        return False

    def serialize(self, row: Sequence[object] | None) -> bytes | None:
        """The line of ``row`` (no line break at the end); ``None`` is a null record."""
        if row is None:
            return None
        if len(row) != len(self._columns):
            raise SerializationFailed(
                _FORMAT,
                ", ".join(column.name for column in self._columns),
                f"the row has {len(row)} values for {len(self._columns)} columns",
            )
        fields: list[str] = []
        for position, (column, value) in enumerate(zip(self._columns, row, strict=True)):
            try:
                text = _text(to_json(value, column.type, column.name))
            except ValueMismatch as exc:
                raise SerializationFailed(_FORMAT, exc.path, exc.reason) from None
            fields.append(self._quoted(text, first=position == 0) if text is not None else "")
        return self._delimiter.join(fields).encode("utf-8")

    def _quoted(self, text: str, *, first: bool) -> str:
        if _needs_quotes(text, self._delimiter, first=first):
            return _QUOTE + text.replace(_QUOTE, _QUOTE * 2) + _QUOTE
        return text

    def deserialize(self, data: bytes | None) -> Row | None:
        """The row of a delimited line (``None`` for a null record).

        Raises:
            DeserializationFailed: no fields, another number of fields than columns, bad
                quoting, or a field that does not parse as its column's type.
        """
        if data is None:
            return None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DeserializationFailed(
                _FORMAT, f"not UTF-8 text (byte {exc.start} is invalid)"
            ) from None
        fields = split_line(text, self._delimiter)
        if not fields:
            raise DeserializationFailed(_FORMAT, "no fields in record")
        if len(fields) != len(self._columns):
            raise DeserializationFailed(
                _FORMAT,
                f"unexpected field count, csvFields:{len(fields)} "
                f"schemaFields:{len(self._columns)}",
            )
        return tuple(
            _parse(field, column) for field, column in zip(fields, self._columns, strict=True)
        )


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _needs_quotes(text: str, delimiter: str, *, first: bool) -> bool:
    if not text:
        return first  # an empty first field alone would read as an empty line
    head = text[0]
    if first and (head < " " or "!" < head < "#" or "+" < head < "-" or head > "~"):
        return True
    if head <= "#":
        return True
    if any(char in text for char in ("\n", "\r", _QUOTE, delimiter)):
        return True
    return text[-1] <= " "


def split_line(text: str, delimiter: str) -> list[str | None]:
    """The fields of the first record of ``text``; an empty field is ``None``.

    Raises:
        DeserializationFailed: a quoted field is not closed, or text follows its closing quote.
    """
    fields: list[str | None] = []
    position, length = 0, len(text)
    while position < length and text[position] in "\r\n":  # empty lines are skipped
        position += 1
    if position == length:
        return []
    while True:
        if position < length and text[position] == _QUOTE:
            field, position = _quoted_field(text, position + 1, delimiter)
        else:
            end = position
            while end < length and text[end] not in (delimiter, "\r", "\n"):
                end += 1
            field, position = text[position:end], end
        fields.append(field or None)
        if position < length and text[position] == delimiter:
            position += 1
            continue
        return fields


def _quoted_field(text: str, position: int, delimiter: str) -> tuple[str, int]:
    parts: list[str] = []
    start = position
    while True:
        close = text.find(_QUOTE, position)
        if close < 0:
            raise DeserializationFailed(
                _FORMAT, f"the quoted field starting at character {start} is not closed"
            )
        parts.append(text[position:close])
        if text.startswith(_QUOTE * 2, close):
            parts.append(_QUOTE)
            position = close + 2
            continue
        after = close + 1
        if after < len(text) and text[after] not in (delimiter, "\r", "\n"):
            raise DeserializationFailed(
                _FORMAT,
                f"invalid character {text[after]!r} between a closing quote and the delimiter "
                f"at character {after}",
            )
        return "".join(parts), after


def _parse(field: str | None, column: Column) -> object:
    if field is None:
        return None
    kind = column.type
    try:
        if kind.base is BaseType.BOOLEAN:
            return field.lower() == "true"  # Java's Boolean.parseBoolean: anything else is false
        if kind.base in (BaseType.INTEGER, BaseType.BIGINT) and not _is_java_int(field):
            raise ValueMismatch(column.name, f"expected {type_text(kind)}, got '{field}'")
        if isinstance(kind, DecimalType):
            try:
                return from_json(Decimal(field), kind, column.name)
            except InvalidOperation:
                raise ValueMismatch(
                    column.name, f"expected {type_text(kind)}, got '{field}'"
                ) from None
        if kind.base is BaseType.DOUBLE:
            return _java_parse_double(field, column)
        return from_json(field, kind, column.name)
    except ValueMismatch as exc:
        raise DeserializationFailed(_FORMAT, exc.reason, exc.path) from None


def _is_java_int(field: str) -> bool:
    digits = field[1:] if field[:1] in "+-" else field
    return digits.isascii() and digits.isdigit()


def _java_parse_double(field: str, column: Column) -> float:
    text = field.strip()
    if text[-1:] in ("d", "D", "f", "F"):
        text = text[:-1]
    if text.lstrip("+-") in ("NaN", "Infinity"):
        return float(text.replace("Infinity", "inf"))
    if text.lstrip("+-").lower() in ("nan", "inf", "infinity"):
        text = "not a number"  # Python spellings Java refuses
    try:
        return float(text)
    except ValueError:
        raise ValueMismatch(
            column.name, f"expected {type_text(column.type)}, got '{field}'"
        ) from None
