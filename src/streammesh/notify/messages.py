"""``Notice``: what a mesh event says to a person — a title, a body and the JSON payload —
and which event types it counts as."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from streammesh.audit import AuditAction, AuditRecord

_PRODUCT_REFERENCE = re.compile(r"^(?P<domain>[^.:]+)\.(?P<name>[^.:]+)\.v(?P<version>[0-9]+)$")


@dataclass(frozen=True, slots=True)
class Notice:
    """One event as notifications carry it.

    Attributes:
        event: The mesh event.
        types: The event types it counts as (its own, plus ``product.owner-changed`` for an
            update that changed the owner or team).
        title: One line (the e-mail subject).
        body: Plain text for e-mail and the inbox.
    """

    event: AuditRecord
    types: frozenset[AuditAction]
    title: str
    body: str

    @property
    def product(self) -> str | None:
        """The product reference (``<name>.v<N>``) the event is about, if any."""
        return self.event.subject if _PRODUCT_REFERENCE.match(self.event.subject) else None

    @property
    def domain(self) -> str | None:
        """The domain of the product the event is about, if any."""
        match = _PRODUCT_REFERENCE.match(self.event.subject)
        if match is not None:
            return match["domain"]
        kind, _, name = self.event.subject.partition(":")
        return name if kind == "domain" and name else None

    def payload(self, reason: str) -> dict[str, Any]:
        """The webhook body: the event document with the notification's title, body and why
        the receiver gets it (``subscription`` or a directed reason such as
        ``downstream-of-deprecated-product``)."""
        document = self.event.document()
        document["notification"] = {"title": self.title, "body": self.body, "reason": reason}
        deprecation = _deprecation(self.event)
        if deprecation is not None:
            document["deprecation"] = deprecation
        return document


def notice_of(event: AuditRecord) -> Notice:
    """The notice of a mesh event."""
    types = {event.action}
    if event.action is AuditAction.PRODUCT_UPDATED and _owner_changed(event):
        types.add(AuditAction.PRODUCT_OWNER_CHANGED)
    title, body = _text(event)
    return Notice(event, frozenset(types), title, body)


def _owner_changed(event: AuditRecord) -> bool:
    before, after = event.before or {}, event.after or {}
    return any(before.get(key) != after.get(key) for key in ("owner", "team"))


def _deprecation(event: AuditRecord) -> dict[str, Any] | None:
    if event.action is not AuditAction.PRODUCT_DEPRECATED:
        return None
    found = (event.after or {}).get("deprecation")
    return dict(found) if isinstance(found, dict) else None


def _text(event: AuditRecord) -> tuple[str, str]:
    subject, actor = event.subject, event.actor
    lines = [f"{event.action.value} on {subject} by {actor} at {event.at:%Y-%m-%d %H:%M} UTC."]
    deprecation = _deprecation(event)
    if deprecation is not None:
        title = f"[streammesh] {subject} is deprecated; sunset {deprecation.get('sunset')}"
        lines.append(f"Reason: {deprecation.get('reason')}")
        lines.append(f"Sunset: {deprecation.get('sunset')} (last day it is served)")
        replacement = deprecation.get("replacement")
        lines.append(
            f"Replacement: {replacement}" if replacement else "Replacement: none announced"
        )
    elif event.action is AuditAction.INCIDENT_DECLARED:
        title = f"[streammesh] Incident on {subject}"
    else:
        title = f"[streammesh] {event.action.value}: {subject}"
    if event.note:
        lines.append(f"Note: {event.note}")
    lines.append(f"Event id: {event.id}")
    return title, "\n".join(lines) + "\n"
