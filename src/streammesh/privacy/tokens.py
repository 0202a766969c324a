"""``Tokenizer``: deterministic tokens for identifiers that must stay joinable.

A token is ``tok_`` and the URL-safe base64 of HMAC-SHA256(tokenization key, value): the same
value always gives the same token within a product (so two streams can be joined on it), and
the token reveals nothing of the value without the key. Both keys derive (HKDF) from the
product's secret in the key store. The value itself is kept, AES-GCM-encrypted, in the vault
table, so a principal granted it can reverse a token (:meth:`Tokenizer.detokenize`, audited).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from streammesh.audit import AuditAction, AuditEntry, AuditLog
from streammesh.privacy.errors import TokenNotGranted, UnknownToken
from streammesh.privacy.keys import KeyStore, product_name
from streammesh.privacy.tables import token_vault

TOKEN_PREFIX = "tok_"
VAULT_LOCK = "privacy-vault"
_NONCE_BYTES = 12


class Tokenizer:
    """Tokens of one product name's identifiers, and their vault.

    Example:
        >>> tokens = Tokenizer(keys, "customers.profiles")  # doctest: +SKIP
        >>> token = tokens.tokenize("alice@example.com")  # doctest: +SKIP
        >>> tokens.detokenize(token, principal="fraud-app", allowed=True)  # doctest: +SKIP
        'alice@example.com'
    """

    def __init__(
        self, keys: KeyStore, product: str, *, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.product = product_name(product)
        self._store = keys.store
        self._clock = clock or (lambda: datetime.now(UTC))
        secret = keys.product_secret(self.product)
        self._mac_key = _derive(secret, b"streammesh/tokenize")
        self._vault = AESGCM(_derive(secret, b"streammesh/vault"))
        self._stored: set[str] = set()

    def tokenize(self, value: str) -> str:
        """The token of ``value``: the same for the same value, every time."""
        digest = hmac.new(self._mac_key, value.encode(), hashlib.sha256).digest()
        token = TOKEN_PREFIX + base64.urlsafe_b64encode(digest).decode().rstrip("=")
        if token not in self._stored:
            self._keep(token, value)
            self._stored.add(token)
        return token

    def detokenize(self, token: str, *, principal: str, allowed: bool) -> str:
        """The value behind ``token``, for a principal ``allowed`` to see it (audited).

        Raises:
            TokenNotGranted: ``allowed`` is false.
            UnknownToken: the vault holds no such token for the product.
        """
        if not allowed:
            raise TokenNotGranted(principal, self.product)
        at = self._clock()
        with self._store.write(VAULT_LOCK) as connection:
            sealed = connection.execute(
                sa.select(token_vault.c.sealed).where(
                    token_vault.c.product == self.product, token_vault.c.token == token
                )
            ).scalar_one_or_none()
            if sealed is None:
                raise UnknownToken(self.product, token)
            try:
                value = self._vault.decrypt(
                    sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], self._aad(token)
                ).decode()
            except InvalidTag:
                raise UnknownToken(self.product, token) from None
            AuditLog(self._store).record(
                connection,
                AuditEntry(
                    AuditAction.TOKEN_REVEALED, self.product, principal, after={"token": token}
                ),
                at=at,
            )
        return value

    def _keep(self, token: str, value: str) -> None:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = nonce + self._vault.encrypt(nonce, value.encode(), self._aad(token))
        with self._store.write(VAULT_LOCK) as connection:
            exists = connection.execute(
                sa.select(token_vault.c.token).where(
                    token_vault.c.product == self.product, token_vault.c.token == token
                )
            ).first()
            if exists is None:
                connection.execute(
                    token_vault.insert().values(
                        product=self.product, token=token, sealed=sealed, created_at=self._clock()
                    )
                )

    def _aad(self, token: str) -> bytes:
        return f"streammesh/vault\x00{self.product}\x00{token}".encode()


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)
