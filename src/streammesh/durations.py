"""Human durations — ``90s``, ``15m``, ``12h``, ``7d``, ``2w``, ``1d12h`` — as milliseconds.

Shared by descriptors (``sla.freshness``, ``recent:7d``) and the CLI's retention options, so a
duration is spelled the same way everywhere.
"""

from __future__ import annotations

import re

UNIT_MS = {
    "ms": 1,
    "s": 1_000,
    "m": 60_000,
    "h": 3_600_000,
    "d": 86_400_000,
    "w": 7 * 86_400_000,
}
PATTERN = r"^(\d+(ms|s|m|h|d|w))+$"
"""The JSON Schema pattern of a duration."""

_PART = re.compile(r"(\d+)(ms|s|m|h|d|w)")


class DurationSyntaxError(ValueError):
    """A duration that does not parse; the message says what is accepted."""


def parse_ms(text: str) -> int:
    """Milliseconds spelled by ``text``.

    >>> parse_ms("1d12h")
    129600000
    """
    cleaned = text.strip().lower()
    position = 0
    total = 0
    for match in _PART.finditer(cleaned):
        if match.start() != position:
            break
        total += int(match.group(1)) * UNIT_MS[match.group(2)]
        position = match.end()
    if not cleaned or position != len(cleaned):
        raise DurationSyntaxError(
            f"'{text}' is not a duration; write a number with a unit (ms, s, m, h, d, w), "
            "e.g. '90s', '15m', '12h', '7d' or '1d12h'"
        )
    return total


def format_ms(ms: int) -> str:
    """The exact spelling of ``ms`` in days and smaller units (``1d12h``).

    Weeks are left out on purpose: ``7d`` is how retention is usually spoken of.
    """
    if ms == 0:
        return "0ms"
    parts: list[str] = []
    remaining = ms
    for unit in ("d", "h", "m", "s", "ms"):
        count, remaining = divmod(remaining, UNIT_MS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
