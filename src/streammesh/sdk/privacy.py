"""``PrivacyClient``: crypto-shredding (forgetting an entity), in-process or through a server.

The answer is the REST API's JSON document ``{"product": name, "key": key, "versions": n}``:
the product's name (its data keys are shared by its major versions), the key as given, and how
many data-key versions were destroyed (0 when nothing was ever encrypted for the key).

In-process the mesh's operator acts; through a server the token's principal does (a domain
owner only on its domains' products, governance and platform admins on any).
"""

from __future__ import annotations

from typing import Any, Protocol


class PrivacyClient(Protocol):
    """Forget entities: their classified fields become unreadable everywhere.

    Example:
        >>> with Mesh.open("/tmp/mesh") as mesh:  # doctest: +SKIP
        ...     mesh.privacy.forget("customers.profiles", "user-2")["versions"]
        1
    """

    def forget(self, product: str, key: str) -> dict[str, Any]:
        """Destroy the data keys of entity ``key`` of ``product`` (any version names every
        major version); final and audited.

        Raises:
            ProductNotFound: No such product.
            InvalidEntityKey: ``key`` is not a value of the product's key type.
        """
        ...


__all__ = ["PrivacyClient"]
