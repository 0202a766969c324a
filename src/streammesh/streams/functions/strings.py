"""ksqlDB's string (and bytes) functions."""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Callable
from typing import Any

from streammesh.streams.functions.signatures import (
    BY,
    I,
    Overload,
    S,
    ScalarFunction,
    scalar,
)
from streammesh.streams.types import BYTES, INTEGER, STRING, array

Text = str | bytes


def _java_trim(value: str) -> str:
    # Java's String.trim removes every character up to U+0020, not only whitespace.
    return value.strip("".join(chr(code) for code in range(33)))


def _ltrim(value: str) -> str:
    return value.lstrip("".join(chr(code) for code in range(33)))


def _rtrim(value: str) -> str:
    return value.rstrip("".join(chr(code) for code in range(33)))


def _start(length: int, position: int) -> int:
    if position >= 0:
        return min(max(position - 1, 0), length)
    return max(length + position, 0)


def substring(value: Text, position: int, length: int | None = None) -> Text:
    """ksqlDB's SUBSTRING: 1-based, a negative position counts from the end, a position
    past the end gives an empty string."""
    start = _start(len(value), position)
    if length is None:
        return value[start:]
    end = max(min(start + length, len(value)), start)
    return value[start:end]


def _pad(left: bool) -> Callable[..., Any]:
    def pad(value: Any, length: int, padding: Any) -> Any:
        if length < 0 or len(padding) == 0:
            return None
        missing = length - len(value)
        if missing <= 0:
            return value[:length]
        filler = (padding * (missing // len(padding) + 1))[:missing]
        return filler + value if left else value + filler

    return pad


def _regexp_extract(pattern: str, value: str, group: int = 0) -> str | None:
    found = re.search(pattern, value)
    if found is None:
        return None
    return found.group(group)


def _java_replacement(replacement: str) -> str:
    # Java writes group references $1; Python wants \g<1>. A backslash escapes in both.
    return re.sub(r"\$(\d+)", r"\\g<\1>", replacement)


def _regexp_replace(value: str, pattern: str, replacement: str) -> str:
    return re.sub(pattern, _java_replacement(replacement), value)


def _split(value: Any, delimiter: Any) -> list[Any]:
    if len(delimiter) == 0:
        return [value[index : index + 1] for index in range(len(value))]
    return list(value.split(delimiter))


def instr(value: str, sub: str, position: int = 1, occurrence: int = 1) -> int:
    """Oracle's INSTR as ksqlDB has it: 1-based; a negative position searches backwards
    from that many characters before the end; 0 when not found."""
    if occurrence <= 0 or position == 0:
        return 0
    if position > 0:
        index = position - 2
        for _ in range(occurrence):
            index = value.find(sub, index + 1)
            if index < 0:
                return 0
        return index + 1
    index = len(value) + position + 1
    for _ in range(occurrence):
        index = value.rfind(sub, 0, index - 1 + len(sub))
        if index < 0:
            return 0
    return index + 1


def _initcap(value: str) -> str:
    # As ksqlDB: each run of non-blanks with the blanks after it, first letter upper-cased,
    # the rest lower-cased; blanks before the first word are dropped.
    words = re.findall(r"\S+\s*", value.lower())
    return "".join(word[:1].upper() + word[1:] for word in words)


_MASK_DEFAULTS = ("X", "x", "n", "-")


def _mask_char(char: str, masks: tuple[str | None, ...]) -> str:
    upper, lower, digit, other = masks
    if char.isupper():
        return upper[:1] if upper is not None else char
    if char.islower():
        return lower[:1] if lower is not None else char
    if char.isdigit():
        return digit[:1] if digit is not None else char
    return other[:1] if other is not None else char


def _masks(given: tuple[str | None, ...]) -> tuple[str | None, ...]:
    return tuple(given) + _MASK_DEFAULTS[len(given) :]


def _mask(value: str | None, *masks: str | None) -> str | None:
    if value is None:
        return None
    chosen = _masks(masks)
    return "".join(_mask_char(char, chosen) for char in value)


def _mask_part(which: str) -> Callable[..., str | None]:
    def mask(value: str | None, count: int | None, *masks: str | None) -> str | None:
        if value is None or count is None:
            return None
        if count < 0:
            raise ValueError(f"function {which} requires a non-negative number of characters")
        chosen = _masks(masks)
        chars = list(value)
        size = len(chars)
        for index, char in enumerate(chars):
            in_left = index < count
            in_right = index >= size - count
            masked = {
                "MASK_LEFT": in_left,
                "MASK_RIGHT": in_right,
                "MASK_KEEP_LEFT": not in_left,
                "MASK_KEEP_RIGHT": not in_right,
            }[which]
            if masked:
                chars[index] = _mask_char(char, chosen)
        return "".join(chars)

    return mask


def _chr_code(code: int) -> str | None:
    try:
        return chr(code)
    except (ValueError, OverflowError):
        return None


def _chr_text(text: str) -> str | None:
    match = re.fullmatch(r"\\u([0-9a-fA-F]{4})", text)
    if match is None:
        return None
    return chr(int(match.group(1), 16))


ENCODINGS = ("hex", "utf8", "ascii", "base64")


def decode_text(value: str, encoding: str) -> bytes:
    """The bytes ``value`` stands for in ``encoding`` (hex, utf8, ascii, base64)."""
    name = encoding.lower()
    if name == "hex":
        text = value[2:] if value.lower().startswith("0x") else value
        return binascii.unhexlify(text)
    if name == "utf8":
        return value.encode("utf-8")
    if name == "ascii":
        return value.encode("ascii")
    if name == "base64":
        return base64.b64decode(value, validate=True)
    raise ValueError(f"unsupported encoding {encoding!r}; use one of {', '.join(ENCODINGS)}")


def encode_bytes(value: bytes, encoding: str) -> str:
    """``value`` written in ``encoding`` (hex, utf8, ascii, base64)."""
    name = encoding.lower()
    if name == "hex":
        return value.hex()
    if name == "utf8":
        return value.decode("utf-8")
    if name == "ascii":
        return value.decode("ascii")
    if name == "base64":
        return base64.b64encode(value).decode("ascii")
    raise ValueError(f"unsupported encoding {encoding!r}; use one of {', '.join(ENCODINGS)}")


def _concat(*values: Text | None) -> Text:
    parts = [value for value in values if value is not None]
    if parts and isinstance(parts[0], bytes):
        return b"".join(part for part in parts if isinstance(part, bytes))
    return "".join(part for part in parts if isinstance(part, str))


def _concat_ws(separator: Text | None, *values: Text | None) -> Text | None:
    if separator is None:
        return None
    parts = [value for value in values if value is not None]
    return separator.join(parts)  # type: ignore[arg-type]


STRINGS: tuple[ScalarFunction, ...] = (
    scalar("UCASE", "String", "Upper-cases a string.", Overload((S,), STRING, str.upper)),
    scalar("LCASE", "String", "Lower-cases a string.", Overload((S,), STRING, str.lower)),
    scalar(
        "CONCAT",
        "String",
        "Concatenates strings (or bytes); NULL inputs count as empty.",
        Overload((), STRING, _concat, variadic=S, null_safe=True),
        Overload((), BYTES, _concat, variadic=BY, null_safe=True),
    ),
    scalar(
        "CONCAT_WS",
        "String",
        "Concatenates with a separator between; NULL inputs are skipped, a NULL separator"
        " gives NULL.",
        Overload((S,), STRING, _concat_ws, variadic=S, null_safe=True),
        Overload((BY,), BYTES, _concat_ws, variadic=BY, null_safe=True),
        examples=("CONCAT_WS(', ', 'apple', 'banana', NULL, 'date') => 'apple, banana, date'",),
    ),
    scalar(
        "LEN",
        "String",
        "The length of a string, or the number of bytes.",
        Overload((S,), INTEGER, len),
        Overload((BY,), INTEGER, len),
    ),
    scalar(
        "SUBSTRING",
        "String",
        "The part starting at a 1-based position (negative: from the end), of a length or to"
        " the end.",
        Overload((S, I), STRING, substring),
        Overload((S, I, I), STRING, substring),
        Overload((BY, I), BYTES, substring),
        Overload((BY, I, I), BYTES, substring),
        examples=("SUBSTRING('stream', 1, 4) => 'stre'",),
    ),
    scalar(
        "TRIM", "String", "Removes leading and trailing spaces.", Overload((S,), STRING, _java_trim)
    ),
    scalar("LTRIM", "String", "Removes leading spaces.", Overload((S,), STRING, _ltrim)),
    scalar("RTRIM", "String", "Removes trailing spaces.", Overload((S,), STRING, _rtrim)),
    scalar(
        "LPAD",
        "String",
        "Pads on the left with a padding to a length (truncates if longer); an empty padding"
        " or negative length gives NULL.",
        Overload((S, I, S), STRING, _pad(True)),
        Overload((BY, I, BY), BYTES, _pad(True)),
        examples=("LPAD('Foo', 7, 'Bar') => 'BarBFoo'", "LPAD('123', 5, '0') => '00123'"),
    ),
    scalar(
        "RPAD",
        "String",
        "Pads on the right with a padding to a length (truncates if longer).",
        Overload((S, I, S), STRING, _pad(False)),
        Overload((BY, I, BY), BYTES, _pad(False)),
        examples=("RPAD('Foo', 7, 'Bar') => 'FooBarB'",),
    ),
    scalar(
        "REPLACE",
        "String",
        "Replaces every occurrence of a substring.",
        Overload((S, S, S), STRING, lambda value, old, new: value.replace(old, new)),
    ),
    scalar(
        "REGEXP_EXTRACT",
        "String",
        "The first match of a regular expression (or of one capturing group); NULL if none.",
        Overload((S, S), STRING, _regexp_extract),
        Overload((S, S, I), STRING, _regexp_extract),
        examples=("REGEXP_EXTRACT('(.*) (.*)', 'hello there', 2) => 'there'",),
    ),
    scalar(
        "REGEXP_EXTRACT_ALL",
        "String",
        "Every match of a regular expression (or of one capturing group).",
        Overload(
            (S, S),
            array(STRING),
            lambda pattern, value: [m.group(0) for m in re.finditer(pattern, value)],
        ),
        Overload(
            (S, S, I),
            array(STRING),
            lambda pattern, value, group: [m.group(group) for m in re.finditer(pattern, value)],
        ),
    ),
    scalar(
        "REGEXP_REPLACE",
        "String",
        "Replaces every match of a regular expression ($1 refers to a group).",
        Overload((S, S, S), STRING, _regexp_replace),
    ),
    scalar(
        "REGEXP_SPLIT_TO_ARRAY",
        "String",
        "Splits around matches of a regular expression.",
        Overload(
            (S, S),
            array(STRING),
            lambda value, pattern: list(value) if pattern == "" else re.split(pattern, value),
        ),
    ),
    scalar(
        "SPLIT",
        "String",
        "Splits a string (or bytes) around a delimiter; an empty delimiter splits every character.",
        Overload((S, S), array(STRING), _split),
        Overload((BY, BY), array(BYTES), _split),
    ),
    scalar(
        "INSTR",
        "String",
        "The 1-based position of a substring (from a position, the n-th occurrence); 0 if absent.",
        Overload((S, S), INTEGER, instr),
        Overload((S, S, I), INTEGER, instr),
        Overload((S, S, I, I), INTEGER, instr),
        examples=(
            "INSTR('CORPORATE FLOOR', 'OR') => 2",
            "INSTR('CORPORATE FLOOR', 'OR', 3, 2) => 14",
            "INSTR('CORPORATE FLOOR', 'OR', -3) => 5",
        ),
    ),
    scalar(
        "INITCAP",
        "String",
        "Capitalizes the first letter of each word, lower-cases the rest.",
        Overload((S,), STRING, _initcap),
    ),
    scalar(
        "MASK",
        "String",
        "Masks upper-case, lower-case, digit and other characters (default X, x, n, -; a NULL"
        " mask keeps that kind).",
        *(Overload((S,) + (S,) * count, STRING, _mask, null_safe=True) for count in range(5)),
        examples=("MASK('My Test $123') => 'Xx-Xxxx--nnn'",),
    ),
    *(
        scalar(
            name,
            "String",
            f"Like MASK, {what}.",
            *(
                Overload((S, I) + (S,) * count, STRING, _mask_part(name), null_safe=True)
                for count in range(5)
            ),
        )
        for name, what in (
            ("MASK_LEFT", "masking only the first n characters"),
            ("MASK_RIGHT", "masking only the last n characters"),
            ("MASK_KEEP_LEFT", "leaving the first n characters unmasked"),
            ("MASK_KEEP_RIGHT", "leaving the last n characters unmasked"),
        )
    ),
    scalar(
        "UUID",
        "String",
        "A random (version 4) UUID.",
        Overload((), STRING, lambda: str(uuid.uuid4())),
        deterministic=False,
    ),
    scalar(
        "CHR",
        "String",
        "The character of a code point, given as a number or as '\\uXXXX'; NULL if invalid.",
        Overload((I,), STRING, _chr_code),
        Overload((S,), STRING, _chr_text),
        examples=("CHR(75) => 'K'", "CHR('\\u597d') => '好'"),
    ),
    scalar(
        "ENCODE",
        "String",
        "Re-encodes a string from one encoding to another (hex, utf8, ascii, base64).",
        Overload(
            (S, S, S),
            STRING,
            lambda value, source, target: encode_bytes(decode_text(value, source), target),
        ),
    ),
    scalar(
        "TO_BYTES",
        "Bytes",
        "The bytes a string stands for in an encoding (hex, utf8, ascii, base64).",
        Overload((S, S), BYTES, decode_text),
    ),
    scalar(
        "FROM_BYTES",
        "Bytes",
        "Bytes written as a string in an encoding (hex, utf8, ascii, base64).",
        Overload((BY, S), STRING, encode_bytes),
    ),
    scalar(
        "ELT",
        "String",
        "The n-th (1-based) of the following strings; NULL out of range.",
        Overload(
            (I,),
            STRING,
            lambda n, *args: args[n - 1] if n is not None and 1 <= n <= len(args) else None,
            variadic=S,
            null_safe=True,
        ),
    ),
    scalar(
        "FIELD",
        "String",
        "The 1-based position of a string among the following ones; 0 if absent or NULL.",
        Overload(
            (S,),
            INTEGER,
            lambda value, *args: 0 if value is None or value not in args else args.index(value) + 1,
            variadic=S,
            null_safe=True,
        ),
    ),
)
