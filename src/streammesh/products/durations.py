"""Durations in descriptors: the shared spelling (``15m``, ``1h``, ``7d``, ``1d12h``) as a
``timedelta``, always longer than zero. What never ends is said with a retention mode
(``full-history``), not with a duration, so there is no ``forever`` here.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

from streammesh.durations import PATTERN, DurationSyntaxError, format_ms, parse_ms

__all__ = ["PATTERN", "Duration", "DurationSyntaxError", "format_duration", "parse_duration"]


def parse_duration(text: str) -> timedelta:
    """The positive duration spelled by ``text``.

    >>> parse_duration("1d12h")
    datetime.timedelta(days=1, seconds=43200)
    """
    ms = parse_ms(text)
    if ms == 0:
        raise DurationSyntaxError(f"'{text}' is zero; a duration must be longer than 0s")
    return timedelta(milliseconds=ms)


def format_duration(duration: timedelta) -> str:
    """The shortest exact spelling of ``duration`` (``1d12h``)."""
    return format_ms(duration // timedelta(milliseconds=1))


def _validate(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        # YAML reads `15` as a number: say which unit is missing rather than "not a string".
        raise DurationSyntaxError(
            f"{value!r} has no unit; write a duration such as '15m', '1h' or '7d'"
        )
    return parse_duration(value)


Duration = Annotated[
    timedelta,
    PlainValidator(_validate),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": PATTERN, "examples": ["15m", "1h", "7d"]}),
]
"""A descriptor field holding a duration: validated from text, written back as text."""
