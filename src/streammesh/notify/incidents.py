"""Declaring an incident on a product: an audited mesh event (``incident.declared``) that the
notifier delivers to the product's consumers and to subscribers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from streammesh.audit import AuditAction, AuditEntry, AuditLog, AuditRecord
from streammesh.control import ControlPlane
from streammesh.log import LogError
from streammesh.notify.errors import InvalidIncident
from streammesh.store import MetadataStore

INCIDENTS_LOCK = "notify-incidents"
MAX_MESSAGE = 4000
_LOGGER = logging.getLogger(__name__)


def declare_incident(
    store: MetadataStore,
    plane: ControlPlane,
    product: str,
    *,
    message: str,
    actor: str,
    clock: Callable[[], datetime] | None = None,
) -> AuditRecord:
    """Record an incident on ``product`` (current version of a bare name) and relay it.

    Raises:
        ProductNotFound: No such product.
        InvalidIncident: An empty message, or one longer than 4000 characters.
    """
    if not isinstance(message, str) or not message.strip():
        raise InvalidIncident(product, "is empty; say what consumers see and what to expect")
    if len(message) > MAX_MESSAGE:
        raise InvalidIncident(product, f"has {len(message)} characters, more than {MAX_MESSAGE}")
    record = plane.product(product)
    now = (clock or (lambda: datetime.now(UTC)))()
    entry = AuditEntry(
        AuditAction.INCIDENT_DECLARED,
        record.reference,
        actor,
        after={"product": record.reference, "team": record.descriptor.team, "message": message},
        note=message,
    )
    audit = AuditLog(store)
    with store.write(INCIDENTS_LOCK) as connection:
        audit_id = audit.record(connection, entry, at=now)
    try:
        plane.relay_events()
    except LogError as exc:  # recorded; the next relay sends it
        _LOGGER.warning("incident event not relayed yet (will retry): %s", exc)
    return AuditRecord(
        audit_id,
        now.astimezone(UTC),
        entry.action,
        entry.subject,
        actor,
        None,
        entry.after,
        message,
    )
