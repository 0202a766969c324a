"""Recent events for a product page: the REST sample, revealed for viewers whose team holds
a grant that includes classified fields.

The sample reads events as they are stored, so protected fields show their placeholders;
revealing decrypts them the way a granted consumer would (each key handout is audited under
the viewer's name).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from streammesh.access import AccessControl
from streammesh.control.records import ProductRecord
from streammesh.governance import GovernanceService
from streammesh.identity import AccountKind
from streammesh.privacy import KeyStore
from streammesh.privacy.errors import PrivacyError
from streammesh.products.descriptor import KeyType
from streammesh.sdk import InvalidKey
from streammesh.sdk.keys import KeyCodec
from streammesh.sdk.protection import protection_for
from streammesh.server.api.streams import sample
from streammesh.server.context import ServerContext
from streammesh.server.ui.viewer import Viewer

SAMPLE_SIZE = 10


def clear_grantees(context: ServerContext, viewer: Viewer, reference: str) -> list[str]:
    """The principals through which ``viewer`` may read ``reference``'s classified fields in
    clear: themselves, or a service account of their team, with such an active grant."""
    control: AccessControl | None = context.access_control
    if control is None:
        return []
    names = [viewer.principal.name]
    if viewer.team is not None and context.access is not None:
        names += [
            account.name
            for account in context.access.accounts.list(kind=AccountKind.SERVICE_ACCOUNT)
            if account.team == viewer.team
        ]
    found = []
    for name in names:
        grant = control.read_grant(name, reference)
        if grant is not None and grant.classified:
            found.append(name)
    return found


def recent_events(
    context: ServerContext, viewer: Viewer, record: ProductRecord, *, clear: bool
) -> list[dict[str, Any]]:
    """The product's latest events (newest last) as JSON documents, with classified fields
    in clear when ``clear``."""
    if context.plane is None or context.log is None:
        return []
    documents: list[dict[str, Any]] = sample(
        record.reference,
        viewer.principal,
        context.plane,
        context.log,
        context.registry,
        limit=SAMPLE_SIZE,
    )["events"]
    if not clear or context.privacy is None or context.governance is None:
        return documents
    return [_revealed(context.privacy, context.governance, record, d, viewer) for d in documents]


def _revealed(
    keys: KeyStore,
    governance: GovernanceService,
    record: ProductRecord,
    document: dict[str, Any],
    viewer: Viewer,
) -> dict[str, Any]:
    protection = protection_for(keys, governance.policies, record)
    value = document.get("value")
    if protection is None or not isinstance(value, dict) or document.get("key") is None:
        return document
    try:
        headers = {h["name"]: base64.b64decode(h["value"]) for h in document["headers"]}
        contract = record.contract
        raw_key = document["key"]
        key = (
            base64.b64decode(raw_key)
            if contract.key_type is KeyType.BYTES
            else KeyCodec(contract.key_field, contract.key_type).encode(raw_key)
        )
        shown = protection.reveal(value, headers, key, clear=True, principal=viewer.principal.name)
    except (PrivacyError, InvalidKey, binascii.Error, ValueError, TypeError):
        return document  # an event that cannot be revealed stays masked
    return {**document, "value": shown}
