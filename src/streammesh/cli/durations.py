"""Retention durations on the command line: the shared spelling plus ``forever``."""

from __future__ import annotations

from streammesh.durations import DurationSyntaxError, format_ms, parse_ms

_UNLIMITED = frozenset({"forever", "unlimited", "infinite", "none"})

__all__ = ["DurationSyntaxError", "format_duration_ms", "parse_duration_ms"]


def parse_duration_ms(text: str) -> int | None:
    """Milliseconds in ``text`` (``None`` for ``forever``/``unlimited``).

    >>> parse_duration_ms("1d12h")
    129600000
    """
    if text.strip().lower() in _UNLIMITED:
        return None
    try:
        return parse_ms(text)
    except DurationSyntaxError as exc:
        raise DurationSyntaxError(f"{exc}, or 'forever'") from exc


def format_duration_ms(ms: int | None) -> str:
    """An exact spelling of ``ms``; ``forever`` for ``None``."""
    return "forever" if ms is None else format_ms(ms)
