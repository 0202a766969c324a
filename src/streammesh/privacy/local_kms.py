"""``LocalKms``: the built-in KMS, a 256-bit master key every replica is given.

The master key comes from a file (``privacy.kms.key_file``; by default
``<home>/privacy/master.key``, mode 0600) or an environment variable (``privacy.kms.key_env``,
base64), never from the metadata database: a copy of the database (a backup, a dump) then
holds only wrapped keys and ciphertext, and reading classified data needs both. Several
replicas sharing one database must be given the same key.

The key is read, never made, to unwrap: a replica that lacks it fails with
:class:`~streammesh.privacy.errors.MasterKeyMissing` naming the setting, instead of making a
key of its own that opens nothing. A missing key *file* is made (O_EXCL, mode 0600) only to
wrap, and only while the mesh holds no wrapped key (``wrapped_keys`` answers 0). Keys listed
under ``privacy.kms.previous`` still unwrap, so data stays readable during a rotation
(``streammesh keys rotate``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from streammesh.config import LocalKeySource, LocalKmsSettings
from streammesh.privacy.errors import KmsError, MasterKeyMissing, MasterKeyNotSet
from streammesh.privacy.kms import KmsContext

MASTER_KEY_FILE = Path("privacy") / "master.key"
"""Where the master key is kept by default, relative to the mesh directory."""

_KEY_BYTES = 32
_NONCE_BYTES = 12


@dataclass(frozen=True, slots=True)
class MasterKeySource:
    """Where one master key is read from: a ``file`` or an environment variable ``env``.

    Attributes:
        file: A file holding the 32 key bytes, or their base64 text.
        env: An environment variable holding the base64 text of the key.
        setting: The ``mesh.yaml`` setting that names this source, for messages.
    """

    file: Path | None = None
    env: str | None = None
    setting: str = "privacy.kms.key_file"

    @classmethod
    def from_settings(cls, source: LocalKeySource, home: Path, setting: str) -> MasterKeySource:
        """The source ``source`` names; relative files are inside the mesh directory ``home``
        (no file nor variable: ``<home>/privacy/master.key``)."""
        if source.key_env is not None:
            return cls(env=source.key_env, setting=f"{setting}.key_env")
        return cls(file=home / (source.key_file or MASTER_KEY_FILE), setting=f"{setting}.key_file")

    @property
    def label(self) -> str:
        """``file '<path>'`` or ``environment variable '<name>'``."""
        if self.env is not None:
            return f"environment variable '{self.env}'"
        return f"file '{self.file}'"

    def read(self) -> bytes | None:
        """The key, or ``None`` when the file does not exist or the variable is not set.

        Raises:
            KmsError: the file is accessible to other users, or it or the variable does not
                hold a 32-byte key.
        """
        if self.env is not None:
            text = os.environ.get(self.env, "").strip()
            return _decode(text.encode(), self) if text else None
        assert self.file is not None
        try:
            mode = self.file.stat().st_mode
        except FileNotFoundError:
            return None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KmsError(
                f"local:{self.file}",
                f"the master key file '{self.file}' is accessible to other users (mode "
                f"{stat.S_IMODE(mode):o}); run 'chmod 600 {self.file}'",
            )
        return _decode(self.file.read_bytes(), self)

    def create(self) -> bytes:
        """A new random key written to the file (another process's key if it won the race).

        Raises:
            MasterKeyNotSet: the source is an environment variable, which cannot be made here.
        """
        if self.env is not None:
            raise MasterKeyNotSet(self.env, self.setting)
        assert self.file is not None
        if not self.file.parent.exists():
            self.file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.file.parent.chmod(0o700)  # mkdir's mode is filtered by the umask
        key = secrets.token_bytes(_KEY_BYTES)
        try:
            # O_EXCL: two processes starting at once must not each write their own key.
            descriptor = os.open(self.file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            existing = self.read()
            assert existing is not None
            return existing
        with os.fdopen(descriptor, "wb") as file:
            file.write(key)
            file.flush()
            os.fsync(file.fileno())
        return key


def key_id_of(master: bytes) -> str:
    """``local:`` and a fingerprint of the master key (not the key)."""
    return "local:" + hashlib.sha256(master).hexdigest()[:16]


class LocalKms:
    """A KMS whose key-encryption keys are local master keys: one current, some previous.

    Example:
        >>> kms = LocalKms.for_mesh(Path("/tmp/mesh"))  # doctest: +SKIP
        >>> kms.unwrap(kms.wrap(b"k" * 32, b"ctx"), b"ctx", kms.key_id)  # doctest: +SKIP
    """

    def __init__(
        self,
        source: Path | MasterKeySource,
        wrapped_keys: Callable[[], int] | None = None,
        *,
        previous: Sequence[MasterKeySource] = (),
    ) -> None:
        """Args:
        source: The current master key (a path is a key file); a missing file is made
            (mode 0600) when a key is first wrapped, so a mesh that never protects a field
            has none.
        wrapped_keys: How many keys the mesh holds wrapped; a missing file is made only
            when it answers 0 (``None``: the caller vouches that none exist).
        previous: Earlier master keys, which unwrap but never wrap (during a rotation).

        Members raise ``KmsError`` when a key file is accessible to others than its owner,
        or does not hold a key, and ``MasterKeyMissing`` when the key is missing and keys
        exist.
        """
        self.source = source if isinstance(source, MasterKeySource) else MasterKeySource(source)
        self.path = self.source.file
        """The current key's file (``None`` when it comes from an environment variable)."""
        self.previous = tuple(previous)
        self._wrapped_keys = wrapped_keys
        self._loaded: tuple[AESGCM, str] | None = None
        self._others: dict[str, AESGCM] | None = None

    @classmethod
    def for_mesh(cls, home: Path, wrapped_keys: Callable[[], int] | None = None) -> LocalKms:
        """The default local KMS of the mesh directory ``home``: ``<home>/privacy/master.key``
        (see ``__init__`` for the arguments)."""
        return cls(home / MASTER_KEY_FILE, wrapped_keys)

    @classmethod
    def from_settings(cls, settings: LocalKmsSettings, context: KmsContext) -> LocalKms:
        """The KMS ``privacy.kms`` (``type: local``) describes."""
        previous = [
            MasterKeySource.from_settings(source, context.home, f"privacy.kms.previous[{index}]")
            for index, source in enumerate(settings.previous)
        ]
        current = MasterKeySource.from_settings(settings, context.home, "privacy.kms")
        return cls(current, context.wrapped_keys, previous=previous)

    def check_present(self) -> None:
        """Raise if the current master key is missing while keys wrapped by one exist, or is
        to come from a variable that is not set (start-up: cheap, no key is made).

        Raises:
            MasterKeyMissing: the key is missing and the mesh holds wrapped keys.
            MasterKeyNotSet: the key's environment variable is not set.
            KmsError: the key is unreadable or invalid.
        """
        if self._loaded is not None or self.source.read() is not None:
            return
        if self.source.env is not None:
            raise MasterKeyNotSet(self.source.env, self.source.setting)
        if self._wrapped_keys is not None:
            count = self._wrapped_keys()
            if count:
                raise MasterKeyMissing(self.source.label, self.source.setting, count)

    def check(self) -> None:
        """Raise unless every configured master key can be read now (or the current one is
        still to be made because nothing is wrapped yet); reads files, makes nothing."""
        self.check_present()
        self._previous_keys()

    def _current(self, *, create: bool) -> tuple[AESGCM, str]:
        if self._loaded is None:
            master = self.source.read()
            if master is None:
                self.check_present()
                if not create:
                    # Only reached without a count: reading asks for a key that wrapped data.
                    raise MasterKeyMissing(self.source.label, self.source.setting, 1)
                master = self.source.create()
            self._loaded = (AESGCM(master), key_id_of(master))
        return self._loaded

    def _previous_keys(self) -> dict[str, AESGCM]:
        if self._others is None:
            others: dict[str, AESGCM] = {}
            for source in self.previous:
                master = source.read()
                if master is None:
                    raise KmsError(
                        f"local:{source.label}",
                        f"the previous master key {source.label} ({source.setting} in "
                        "mesh.yaml) is missing; restore it, or remove it from "
                        "privacy.kms.previous once 'streammesh keys rotate' has finished",
                    )
                others[key_id_of(master)] = AESGCM(master)
            self._others = others
        return self._others

    @property
    def key_id(self) -> str:
        """``local:`` and a fingerprint of the current master key (not the key)."""
        return self._current(create=True)[1]

    def wrap(self, key: bytes, context: bytes) -> bytes:
        """``key`` sealed with AES-256-GCM under the current master key, ``context`` as AAD."""
        aead, _ = self._current(create=True)
        nonce = secrets.token_bytes(_NONCE_BYTES)
        return nonce + aead.encrypt(nonce, key, context)

    def unwrap(self, wrapped: bytes, context: bytes, key_id: str) -> bytes:
        """The key sealed in ``wrapped`` by the current or a previous master key.

        Raises:
            MasterKeyMissing: the current master key is missing.
            KmsError: ``key_id`` is none of this KMS's master keys, or ``wrapped``/``context``
                differ from what was wrapped.
        """
        aead, own_id = self._current(create=False)
        if key_id != own_id:
            found = self._previous_keys().get(key_id)
            if found is None:
                raise KmsError(
                    own_id,
                    f"a data key was wrapped by master key '{key_id}', but this process has "
                    f"'{own_id}' ({self.source.label}, {self.source.setting} in mesh.yaml)"
                    f"{' and no such previous key' if self.previous else ''}: every replica "
                    "must be given the same master key; give this one the key the others use "
                    "(or list the old key under privacy.kms.previous while a rotation runs)",
                )
            aead = found
        try:
            return aead.decrypt(wrapped[:_NONCE_BYTES], wrapped[_NONCE_BYTES:], context)
        except InvalidTag:
            raise KmsError(
                own_id, "a wrapped key does not open: it was altered or moved in the store"
            ) from None


def _decode(raw: bytes, source: MasterKeySource) -> bytes:
    """32 raw bytes, or their base64 text (surrounding whitespace ignored)."""
    if len(raw) == _KEY_BYTES:
        return raw
    try:
        key = base64.b64decode(raw.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != _KEY_BYTES:
        raise KmsError(
            f"local:{source.label}",
            f"the master key {source.label} ({source.setting} in mesh.yaml) holds no "
            f"{_KEY_BYTES}-byte key ({len(raw)} bytes, neither the raw key nor its base64 "
            "text); restore it from your backup",
        )
    return key
