"""ksqlDB's date and time functions (Java patterns and zones via :mod:`.java_time`)."""

from __future__ import annotations

import time as clock
from datetime import UTC, date, datetime, time, timedelta

from streammesh.streams.evaluation.values import EPOCH, millis_of, timestamp_from_millis
from streammesh.streams.functions.java_time import format_java, parse_java, zone
from streammesh.streams.functions.signatures import (
    DT,
    TM,
    TS,
    I,
    L,
    Overload,
    S,
    ScalarFunction,
    scalar,
)
from streammesh.streams.types import BIGINT, DATE, INTEGER, STRING, TIME, TIMESTAMP

UNITS = {
    "MILLISECONDS": timedelta(milliseconds=1),
    "SECONDS": timedelta(seconds=1),
    "MINUTES": timedelta(minutes=1),
    "HOURS": timedelta(hours=1),
    "DAYS": timedelta(days=1),
}
"""Time units of DATEADD and friends (singular spellings are accepted too)."""


def unit(name: str) -> timedelta:
    """The length of one time unit (``DAYS``, ``HOUR``, ...)."""
    key = name.upper()
    found = UNITS.get(key) or UNITS.get(f"{key}S")
    if found is None:
        raise ValueError(f"unknown time unit {name!r}; use one of {', '.join(UNITS)}")
    return found


def _format_ts(value: datetime, pattern: str, tz: str = "UTC") -> str:
    return format_java(value.astimezone(zone(tz)), pattern)


def _parse_ts(text: str, pattern: str, tz: str = "UTC") -> datetime:
    return parse_java(text, pattern, zone(tz)).astimezone(UTC)


def _wall(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


def _convert_tz(value: datetime, source: str, target: str) -> datetime:
    # ksqlDB's TIMESTAMP has no zone: the wall-clock time in `source` becomes the wall-clock
    # time of the same instant in `target`.
    local = _wall(value).replace(tzinfo=zone(source))
    return local.astimezone(zone(target)).replace(tzinfo=UTC)


def _add(sign: int):  # type: ignore[no-untyped-def]
    def add(name: str, amount: int, value: datetime | date | time) -> datetime | date | time:
        step = unit(name) * amount * sign
        if isinstance(value, datetime):
            return value + step
        if isinstance(value, date):
            return value + timedelta(days=step // timedelta(days=1))
        moment = datetime.combine(date(1970, 1, 1), value) + step
        return moment.time()

    return add


TEMPORAL: tuple[ScalarFunction, ...] = (
    scalar(
        "UNIX_TIMESTAMP",
        "Date and time",
        "Milliseconds since the epoch of a TIMESTAMP, or of now.",
        Overload((), BIGINT, lambda: int(clock.time() * 1000)),
        Overload((TS,), BIGINT, millis_of),
        deterministic=False,
    ),
    scalar(
        "UNIX_DATE",
        "Date and time",
        "Days since 1970-01-01 of a DATE, or of today.",
        Overload((), INTEGER, lambda: (datetime.now(UTC).date() - EPOCH.date()).days),
        Overload((DT,), INTEGER, lambda value: (value - EPOCH.date()).days),
        deterministic=False,
    ),
    scalar(
        "FROM_UNIXTIME",
        "Date and time",
        "The TIMESTAMP of milliseconds since the epoch.",
        Overload((L,), TIMESTAMP, timestamp_from_millis),
    ),
    scalar(
        "FROM_DAYS",
        "Date and time",
        "The DATE of days since the epoch.",
        Overload((I,), DATE, lambda days: EPOCH.date() + timedelta(days=days)),
    ),
    scalar(
        "TIMESTAMPTOSTRING",
        "Date and time",
        "Epoch milliseconds written with a Java pattern, in UTC or a zone (deprecated in"
        " ksqlDB for FORMAT_TIMESTAMP).",
        Overload((L, S), STRING, lambda ms, p: _format_ts(timestamp_from_millis(ms), p)),
        Overload((L, S, S), STRING, lambda ms, p, tz: _format_ts(timestamp_from_millis(ms), p, tz)),
    ),
    scalar(
        "STRINGTOTIMESTAMP",
        "Date and time",
        "Epoch milliseconds of a text parsed with a Java pattern (deprecated for PARSE_TIMESTAMP).",
        Overload((S, S), BIGINT, lambda text, p: millis_of(_parse_ts(text, p))),
        Overload((S, S, S), BIGINT, lambda text, p, tz: millis_of(_parse_ts(text, p, tz))),
    ),
    scalar(
        "FORMAT_TIMESTAMP",
        "Date and time",
        "A TIMESTAMP written with a Java pattern, in UTC or a zone.",
        Overload((TS, S), STRING, _format_ts),
        Overload((TS, S, S), STRING, _format_ts),
    ),
    scalar(
        "PARSE_TIMESTAMP",
        "Date and time",
        "A TIMESTAMP parsed from text with a Java pattern, read in UTC or a zone.",
        Overload((S, S), TIMESTAMP, _parse_ts),
        Overload((S, S, S), TIMESTAMP, _parse_ts),
    ),
    scalar(
        "FORMAT_DATE",
        "Date and time",
        "A DATE written with a Java pattern.",
        Overload(
            (DT, S),
            STRING,
            lambda value, p: format_java(
                datetime(value.year, value.month, value.day, tzinfo=UTC), p
            ),
        ),
    ),
    scalar(
        "PARSE_DATE",
        "Date and time",
        "A DATE parsed with a Java pattern.",
        Overload((S, S), DATE, lambda text, p: parse_java(text, p).date()),
    ),
    scalar(
        "FORMAT_TIME",
        "Date and time",
        "A TIME written with a Java pattern.",
        Overload(
            (TM, S),
            STRING,
            lambda value, p: format_java(datetime.combine(EPOCH.date(), value, UTC), p),
        ),
    ),
    scalar(
        "PARSE_TIME",
        "Date and time",
        "A TIME parsed with a Java pattern.",
        Overload((S, S), TIME, lambda text, p: parse_java(text, p).time()),
    ),
    scalar(
        "CONVERT_TZ",
        "Date and time",
        "A TIMESTAMP's wall-clock time moved from one zone to another.",
        Overload((TS, S, S), TIMESTAMP, _convert_tz),
    ),
    *(
        scalar(name, "Date and time", text, Overload((S, I, param), kind, _add(sign)))
        for name, text, param, kind, sign in (
            ("DATEADD", "Adds an interval (unit, amount) to a DATE.", DT, DATE, 1),
            ("DATESUB", "Subtracts an interval (unit, amount) from a DATE.", DT, DATE, -1),
            ("TIMEADD", "Adds an interval (unit, amount) to a TIME.", TM, TIME, 1),
            ("TIMESUB", "Subtracts an interval (unit, amount) from a TIME.", TM, TIME, -1),
            ("TIMESTAMPADD", "Adds an interval (unit, amount) to a TIMESTAMP.", TS, TIMESTAMP, 1),
            ("TIMESTAMPSUB", "Subtracts an interval from a TIMESTAMP.", TS, TIMESTAMP, -1),
        )
    ),
)

TIME_UNIT_FUNCTIONS = frozenset(
    {"DATEADD", "DATESUB", "TIMEADD", "TIMESUB", "TIMESTAMPADD", "TIMESTAMPSUB"}
)
"""Functions whose first argument is a time unit keyword (``DATEADD(DAYS, 1, d)``): a bare
unit name there is read as text, not as a column."""
