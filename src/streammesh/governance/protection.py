"""What access and privacy need to know of a product's classified fields.

The ``fields.protected`` rule names the classifications (every label by default: ``pii``,
``financial``, ``health``, ``confidential``, ``restricted``) whose fields need an owner's
approval before anyone reads them and field-level encryption when they are produced. Access
control asks :func:`requires_approval`; the privacy layer's ``FieldProtection`` is given
:func:`fields_to_encrypt`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from streammesh.governance.policy import BASELINE, Policy
from streammesh.products import Descriptor

if TYPE_CHECKING:
    from streammesh.governance.policies import PolicyRegistry


def fields_to_encrypt(descriptor: Descriptor, policy: Policy = BASELINE) -> frozenset[str]:
    """The field paths of ``descriptor`` that must be encrypted when produced.

    Example:
        >>> fields_to_encrypt(customers)  # classifications: {email: [pii], tier: [confidential]}
        frozenset({'email', 'tier'})
    """
    protected = policy.rules.protected_fields.classifications
    return frozenset(
        path
        for path, labels in descriptor.classifications.items()
        if protected.intersection(labels)
    )


def requires_approval(descriptor: Descriptor, policy: Policy = BASELINE) -> bool:
    """Whether reading ``descriptor``'s product needs the owner's approval (it has protected
    fields), rather than being auto-approved."""
    return bool(fields_to_encrypt(descriptor, policy))


def mesh_fields_to_encrypt(policies: PolicyRegistry, descriptor: Descriptor) -> frozenset[str]:
    """:func:`fields_to_encrypt` under the policy the mesh has in force for the product's
    domain (what producers and consumers apply)."""
    return fields_to_encrypt(descriptor, policies.effective(descriptor.domain))
