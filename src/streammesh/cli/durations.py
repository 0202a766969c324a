"""Human durations for retention settings: ``90s``, ``12h``, ``7d``, ``1d12h``, ``forever``."""

from __future__ import annotations

import re

_UNIT_MS = {
    "ms": 1,
    "s": 1_000,
    "m": 60_000,
    "h": 3_600_000,
    "d": 86_400_000,
    "w": 7 * 86_400_000,
}
_PART = re.compile(r"(\d+)(ms|s|m|h|d|w)")
_UNLIMITED = frozenset({"forever", "unlimited", "infinite", "none"})


class DurationSyntaxError(ValueError):
    """A duration string that does not parse; the message says what is accepted."""


def parse_duration_ms(text: str) -> int | None:
    """Milliseconds in ``text`` (``None`` for ``forever``/``unlimited``).

    >>> parse_duration_ms("1d12h")
    129600000
    """
    cleaned = text.strip().lower()
    if cleaned in _UNLIMITED:
        return None
    position = 0
    total = 0
    for match in _PART.finditer(cleaned):
        if match.start() != position:
            break
        total += int(match.group(1)) * _UNIT_MS[match.group(2)]
        position = match.end()
    if not cleaned or position != len(cleaned):
        raise DurationSyntaxError(
            f"'{text}' is not a duration; use a number with a unit (ms, s, m, h, d, w), "
            "e.g. '90s', '12h', '7d', '1d12h', or 'forever'"
        )
    return total


def format_duration_ms(ms: int | None) -> str:
    """An exact spelling of ``ms`` in days and smaller units; ``forever`` for ``None``.

    Weeks are left out on purpose: ``7d`` is how retention is usually spoken of.
    """
    if ms is None:
        return "forever"
    if ms == 0:
        return "0ms"
    parts: list[str] = []
    remaining = ms
    for unit in ("d", "h", "m", "s", "ms"):
        size = _UNIT_MS[unit]
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
