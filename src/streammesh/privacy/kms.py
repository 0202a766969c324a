"""The ``Kms`` Protocol: who wraps the data keys (envelope encryption).

Data keys never rest in the metadata database in clear: each is wrapped by a key-encryption
key (KEK) that a key management service holds. streammesh ships :class:`LocalKms` (a master
key file in the mesh directory); a cloud KMS (AWS KMS, GCP KMS, Vault transit) plugs in by
implementing these three members.
"""

from __future__ import annotations

from typing import Protocol


class Kms(Protocol):
    """Wraps and unwraps data keys with a key-encryption key it never hands out."""

    @property
    def key_id(self) -> str:
        """The id of the KEK new wraps use; stored beside each wrapped key."""
        ...

    def wrap(self, key: bytes, context: bytes) -> bytes:
        """``key`` encrypted under the current KEK, bound to ``context`` (the key's owner).

        Raises:
            KmsError: the KMS cannot wrap.
        """
        ...

    def unwrap(self, wrapped: bytes, context: bytes, key_id: str) -> bytes:
        """The key that :meth:`wrap` wrapped with KEK ``key_id`` and the same ``context``.

        Raises:
            KmsError: unknown KEK, other context, or altered bytes.
        """
        ...
