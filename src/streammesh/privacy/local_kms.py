"""``LocalKms``: the built-in KMS, a 256-bit master key in a file of the mesh directory.

The master key lives in a file (``<home>/privacy/master.key``, mode 0600), not in the
metadata database: a copy of the database (a backup, a replica, a dump) then holds only
wrapped keys and ciphertext, and reading classified data needs both the database and the
file. Production deployments should use a real KMS behind :class:`~streammesh.privacy.kms.Kms`.

A missing file is created only while nothing is wrapped yet (``wrapped_keys`` answers 0): a
new key over existing wrapped keys would make every encrypted field unreadable, so the KMS
then raises :class:`~streammesh.privacy.errors.MasterKeyMissing` instead.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from streammesh.privacy.errors import KmsError, MasterKeyMissing

MASTER_KEY_FILE = Path("privacy") / "master.key"
"""Where :meth:`LocalKms.for_mesh` keeps the master key, relative to the mesh directory."""

_KEY_BYTES = 32
_NONCE_BYTES = 12


class LocalKms:
    """A KMS whose only key-encryption key is a local master key file.

    Example:
        >>> kms = LocalKms.for_mesh(Path("/tmp/mesh"))  # doctest: +SKIP
        >>> kms.unwrap(kms.wrap(b"k" * 32, b"ctx"), b"ctx", kms.key_id)  # doctest: +SKIP
    """

    def __init__(self, path: Path, wrapped_keys: Callable[[], int] | None = None) -> None:
        """Args:
        path: The master key file; created (mode 0600) with a new random key when a key is
            first wrapped or unwrapped, so a mesh that never protects a field has none.
        wrapped_keys: How many keys the mesh holds wrapped by this KMS; a missing file is
            created only when it answers 0 (``None``: the caller vouches that none exist).

        Members raise ``KmsError`` when the file is accessible to others than its owner, or
        does not hold a key, and ``MasterKeyMissing`` when it is missing and keys exist.
        """
        self.path = path
        self._wrapped_keys = wrapped_keys
        self._loaded: tuple[AESGCM, str] | None = None

    def check_present(self) -> None:
        """Raise if the master key file is missing while keys wrapped by it exist (start-up).

        Raises:
            MasterKeyMissing: the file is missing and the mesh holds wrapped keys.
        """
        if self._wrapped_keys is not None and not self.path.exists():
            count = self._wrapped_keys()
            if count:
                raise MasterKeyMissing(str(self.path), count)

    def _master(self) -> tuple[AESGCM, str]:
        if self._loaded is None:
            if not self.path.exists():
                self.check_present()
            master = _load_or_create(self.path)
            self._loaded = (AESGCM(master), "local:" + hashlib.sha256(master).hexdigest()[:16])
        return self._loaded

    @classmethod
    def for_mesh(cls, home: Path, wrapped_keys: Callable[[], int] | None = None) -> LocalKms:
        """The local KMS of the mesh directory ``home`` (see ``__init__`` for the arguments)."""
        return cls(home / MASTER_KEY_FILE, wrapped_keys)

    @property
    def key_id(self) -> str:
        """``local:`` and a fingerprint of the master key (not the key)."""
        return self._master()[1]

    def wrap(self, key: bytes, context: bytes) -> bytes:
        """``key`` sealed with AES-256-GCM under the master key, ``context`` as AAD."""
        aead, _ = self._master()
        nonce = secrets.token_bytes(_NONCE_BYTES)
        return nonce + aead.encrypt(nonce, key, context)

    def unwrap(self, wrapped: bytes, context: bytes, key_id: str) -> bytes:
        """The key sealed in ``wrapped``.

        Raises:
            KmsError: ``key_id`` is another master key, or ``wrapped``/``context`` differ
                from what was wrapped.
        """
        aead, own_id = self._master()
        if key_id != own_id:
            raise KmsError(
                own_id,
                f"the key was wrapped by '{key_id}', not by this mesh's master key "
                f"'{self.path}'; restore the master key file it was wrapped with",
            )
        try:
            return aead.decrypt(wrapped[:_NONCE_BYTES], wrapped[_NONCE_BYTES:], context)
        except InvalidTag:
            raise KmsError(
                own_id, "a wrapped key does not open: it was altered or moved in the store"
            ) from None


def _load_or_create(path: Path) -> bytes:
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.parent.chmod(0o700)  # mkdir's mode is filtered by the umask
    key = secrets.token_bytes(_KEY_BYTES)
    try:
        # O_EXCL: two processes starting at once must not each write their own key.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    with os.fdopen(descriptor, "wb") as file:
        file.write(key)
        file.flush()
        os.fsync(file.fileno())
    return key


def _read(path: Path) -> bytes:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KmsError(
            f"local:{path}",
            f"the master key file '{path}' is accessible to other users (mode "
            f"{stat.S_IMODE(mode):o}); run 'chmod 600 {path}'",
        )
    key = path.read_bytes()
    if len(key) != _KEY_BYTES:
        raise KmsError(
            f"local:{path}",
            f"'{path}' holds {len(key)} bytes, not a {_KEY_BYTES}-byte master key; restore it",
        )
    return key
