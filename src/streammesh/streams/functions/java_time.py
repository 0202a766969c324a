"""Java ``DateTimeFormatter`` patterns (``yyyy-MM-dd HH:mm:ss.SSS``) for formatting and
parsing, and Java time-zone ids, as ksqlDB's date and time functions take them.

Supported letters: ``y``/``u`` year, ``M``/``L`` month (``MMM`` Jan, ``MMMM`` January),
``d`` day, ``D`` day of year, ``H`` hour 0-23, ``h`` hour 1-12, ``k`` hour 1-24, ``K`` hour
0-11, ``m`` minute, ``s`` second, ``S`` fraction of second, ``n`` nanoseconds, ``a`` AM/PM,
``E`` day name, ``X``/``x``/``Z`` offset, ``z``/``VV`` zone; text in single quotes is
literal, ``''`` a quote; other non-letters are literal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

# Java's ZoneId.SHORT_IDS: the three-letter ids ksqlDB accepts besides region ids.
_SHORT_IDS = {
    "ACT": "Australia/Darwin", "AET": "Australia/Sydney", "AGT": "America/Argentina/Buenos_Aires",
    "ART": "Africa/Cairo", "AST": "America/Anchorage", "BET": "America/Sao_Paulo",
    "BST": "Asia/Dhaka", "CAT": "Africa/Harare", "CNT": "America/St_Johns",
    "CST": "America/Chicago", "CTT": "Asia/Shanghai", "EAT": "Africa/Addis_Ababa",
    "ECT": "Europe/Paris", "IET": "America/Indiana/Indianapolis", "IST": "Asia/Kolkata",
    "JST": "Asia/Tokyo", "MIT": "Pacific/Apia", "NET": "Asia/Yerevan",
    "NST": "Pacific/Auckland", "PLT": "Asia/Karachi", "PNT": "America/Phoenix",
    "PRT": "America/Puerto_Rico", "PST": "America/Los_Angeles", "SST": "Pacific/Guadalcanal",
    "VST": "Asia/Ho_Chi_Minh", "EST": "-05:00", "MST": "-07:00", "HST": "-10:00",
}  # fmt: skip


@lru_cache(maxsize=256)
def zone(name: str) -> tzinfo:
    """A Java time-zone id (``UTC``, ``America/Los_Angeles``, ``PST``, ``+02:00``).

    Raises:
        ValueError: an id Java does not know.
    """
    text = _SHORT_IDS.get(name, name)
    offset = re.fullmatch(r"(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?", text)
    if offset:
        sign = -1 if offset.group(1) == "-" else 1
        delta = timedelta(hours=int(offset.group(2)), minutes=int(offset.group(3) or 0))
        return timezone(sign * delta)
    if text in {"UTC", "GMT", "Z", "UT"}:
        return UTC
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


@dataclass(frozen=True, slots=True)
class _Token:
    letter: str  # "" for literal text
    count: int
    text: str = ""


def _tokens(pattern: str) -> list[_Token]:
    tokens: list[_Token] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "'":
            end = index + 1
            literal = []
            while end < len(pattern):
                if pattern[end] == "'":
                    if end + 1 < len(pattern) and pattern[end + 1] == "'":
                        literal.append("'")
                        end += 2
                        continue
                    break
                literal.append(pattern[end])
                end += 1
            tokens.append(_Token("", 0, "".join(literal) if end > index + 1 else "'"))
            index = end + 1
            continue
        if char.isalpha():
            end = index
            while end < len(pattern) and pattern[end] == char:
                end += 1
            if char not in "yuMLdDHhkKmsSnaEXxZzV":
                raise ValueError(f"unsupported pattern letter {char!r} in {pattern!r}")
            tokens.append(_Token(char, end - index))
            index = end
            continue
        tokens.append(_Token("", 0, char))
        index += 1
    return tokens


def _offset_text(value: datetime, letter: str, count: int) -> str:
    delta = value.utcoffset() or timedelta(0)
    if delta == timedelta(0) and letter == "X":
        return "Z"
    minutes = int(delta.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    if letter == "Z":
        return (
            f"{sign}{hours:02d}:{minutes:02d}" if count == 5 else f"{sign}{hours:02d}{minutes:02d}"
        )
    if count == 1:
        return f"{sign}{hours:02d}" + (f"{minutes:02d}" if minutes else "")
    if count == 2 or count == 4:
        return f"{sign}{hours:02d}{minutes:02d}"
    return f"{sign}{hours:02d}:{minutes:02d}"


def _field_text(value: datetime, token: _Token) -> str:
    letter, count = token.letter, token.count
    if letter in "yu":
        return f"{value.year % 100:02d}" if count == 2 else f"{value.year:0{count}d}"
    if letter in "ML":
        if count == 3:
            return _MONTHS[value.month - 1][:3]
        if count >= 4:
            return _MONTHS[value.month - 1]
        return f"{value.month:0{count}d}"
    numbers = {
        "d": value.day,
        "D": value.timetuple().tm_yday,
        "H": value.hour,
        "h": (value.hour % 12) or 12,
        "k": value.hour or 24,
        "K": value.hour % 12,
        "m": value.minute,
        "s": value.second,
        "n": value.microsecond * 1000,
    }
    if letter in numbers:
        return f"{numbers[letter]:0{count}d}"
    if letter == "S":
        return f"{value.microsecond:06d}{'0' * max(0, count - 6)}"[:count]
    if letter == "a":
        return "AM" if value.hour < 12 else "PM"
    if letter == "E":
        name = _DAYS[value.weekday()]
        return name if count >= 4 else name[:3]
    if letter in "XxZ":
        return _offset_text(value, letter, count)
    if letter == "z":
        return value.tzname() or "UTC"
    return str(getattr(value.tzinfo, "key", value.tzname() or "UTC"))


def format_java(value: datetime, pattern: str) -> str:
    """``value`` written with a Java pattern."""
    return "".join(
        token.text if not token.letter else _field_text(value, token) for token in _tokens(pattern)
    )


def _field_regex(token: _Token) -> str:
    letter, count = token.letter, token.count
    if letter in "yu":
        return r"(?P<y>\d{2})" if count == 2 else r"(?P<y>[+-]?\d{" + str(max(count, 1)) + ",9})"
    if letter in "ML":
        if count == 3:
            return r"(?P<Mtext>[A-Za-z]{3})"
        if count >= 4:
            return r"(?P<Mtext>[A-Za-z]+)"
    if letter == "S":
        return r"(?P<S>\d{" + str(count) + "})"
    if letter == "a":
        return r"(?P<a>[AaPp][Mm])"
    if letter == "E":
        return r"(?P<E>[A-Za-z]+)"
    if letter in "XxZ":
        return r"(?P<offset>Z|[+-]\d{2}(?::?\d{2})?)"
    if letter in "zV":
        return r"(?P<zone>[A-Za-z_/+\-0-9]+)"
    digits = r"\d{" + str(count) + "}" if count > 1 else r"\d{1,9}"
    return rf"(?P<{letter}>{digits})"


@lru_cache(maxsize=256)
def _parser(pattern: str) -> re.Pattern[str]:
    parts = [
        re.escape(token.text) if not token.letter else _field_regex(token)
        for token in _tokens(pattern)
    ]
    return re.compile("".join(parts))


def parse_java(text: str, pattern: str, default_zone: tzinfo = UTC) -> datetime:
    """The date and time ``text`` writes with a Java pattern, as an aware datetime (fields
    the pattern lacks default like Java's: 1970-01-01 00:00; the zone is the text's offset
    or zone, else ``default_zone``).

    Raises:
        ValueError: the text does not match the pattern.
    """
    match = _parser(pattern).fullmatch(text)
    if match is None:
        raise ValueError(f"text {text!r} could not be parsed with pattern {pattern!r}")
    fields = match.groupdict()
    year = int(fields["y"]) if fields.get("y") else 1970
    if fields.get("y") and len(fields["y"]) == 2:
        year = 2000 + year
    if fields.get("Mtext"):
        names = [name.lower() for name in _MONTHS]
        given = fields["Mtext"].lower()
        month = next(i for i, name in enumerate(names, 1) if name.startswith(given[:3]))
    else:
        month = int(fields.get("M") or fields.get("L") or 1)
    day = int(fields.get("d") or 1)
    if fields.get("D") and not fields.get("d"):
        base = datetime(year, 1, 1) + timedelta(days=int(fields["D"]) - 1)
        month, day = base.month, base.day
    hour = int(fields.get("H") or fields.get("k") or 0) % 24
    if fields.get("h") or fields.get("K"):
        hour = int(fields.get("h") or fields.get("K") or 0) % 12
        if (fields.get("a") or "AM").upper() == "PM":
            hour += 12
    minute = int(fields.get("m") or 0)
    second = int(fields.get("s") or 0)
    micro = int((fields.get("S") or "0").ljust(6, "0")[:6])
    if fields.get("n"):
        micro = int(fields["n"]) // 1000
    tz: tzinfo = default_zone
    if fields.get("offset"):
        tz = zone(fields["offset"]) if fields["offset"] != "Z" else UTC
    elif fields.get("zone"):
        tz = zone(fields["zone"])
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)
