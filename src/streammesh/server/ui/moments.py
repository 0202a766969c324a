"""Timestamps as people read them: "3 s ago", "2026-11-23 14:05 UTC", the exact value kept
for a hover (``<time title=...>``) and for machines (``datetime=...``)."""

from __future__ import annotations

from datetime import UTC, datetime

from markupsafe import Markup, escape

_UNITS = ((86_400, "d"), (3_600, "h"), (60, "min"), (1, "s"))


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """How long before ``now`` ``moment`` was, in its largest whole unit ("3 s ago",
    "5 min ago", "2 d ago"); "never" for ``None`` and "just now" for a moment not yet past."""
    if moment is None:
        return "never"
    seconds = int(((now or datetime.now(UTC)) - _aware(moment)).total_seconds())
    if seconds <= 0:
        return "just now"
    for size, unit in _UNITS:
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return "just now"  # pragma: no cover - the loop ends at one second


def readable(moment: datetime | None) -> str:
    """``moment`` in UTC to the minute (``2026-11-23 14:05 UTC``); "never" for ``None``."""
    if moment is None:
        return "never"
    return _aware(moment).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def exact(moment: datetime | None) -> str:
    """``moment`` in ISO 8601 to the second, for ``datetime`` attributes and hovers."""
    if moment is None:
        return ""
    return _aware(moment).astimezone(UTC).isoformat(timespec="seconds")


def when(moment: datetime | str | None) -> Markup:
    """The template filter for every timestamp of the UI: ``moment`` (a datetime, or ISO
    8601 text as JSON documents carry it) as :func:`readable` inside a ``<time>`` whose hover
    and ``datetime`` hold :func:`exact`; "never" for ``None``."""
    parsed = _parsed(moment)
    return _time(parsed, readable(parsed))


def since(moment: datetime | str | None, now: datetime | None = None) -> Markup:
    """Like :func:`when` with :func:`ago` as the text ("3 s ago")."""
    parsed = _parsed(moment)
    return _time(parsed, ago(parsed, now))


def _parsed(moment: datetime | str | None) -> datetime | None:
    return datetime.fromisoformat(moment) if isinstance(moment, str) else moment


def _time(moment: datetime | None, text: str) -> Markup:
    if moment is None:
        return Markup("never")
    value = escape(exact(moment))
    return Markup('<time datetime="{0}" title="{0}">{1}</time>').format(value, text)


def _aware(moment: datetime) -> datetime:
    # A naive datetime is taken as UTC, the only zone the mesh writes.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
