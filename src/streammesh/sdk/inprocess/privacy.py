"""``InProcessPrivacy``: crypto-shredding over the mesh runtime's data keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from streammesh.privacy import forget

if TYPE_CHECKING:
    from streammesh.runtime import MeshRuntime


class InProcessPrivacy:
    """Forget entities of a mesh opened in this process, audited as ``actor``."""

    def __init__(self, runtime: MeshRuntime, actor: str) -> None:
        self._runtime = runtime
        self._actor = actor

    def forget(self, product: str, key: str) -> dict[str, Any]:
        """See :meth:`PrivacyClient.forget`."""
        record = self._runtime.plane.product(product)
        done = forget(
            self._runtime.keys,
            record.reference,
            record.contract.key_type,
            key,
            actor=self._actor,
        )
        return {"product": done.product, "key": done.key, "versions": done.versions}
