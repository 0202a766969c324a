"""The ``Kms`` Protocol: who wraps the data keys (envelope encryption), and how one is chosen.

Data keys never rest in the metadata database in clear: each is wrapped by a master key (a
key-encryption key, KEK) that a key management service holds. ``privacy.kms`` in ``mesh.yaml``
chooses the service (:func:`open_kms`):

- ``local`` (:class:`~streammesh.privacy.local_kms.LocalKms`): a master key given to every
  replica as a file or an environment variable;
- ``aws`` (:class:`~streammesh.privacy.aws_kms.AwsKms`): an AWS KMS key, through ``boto3``;
- any other name: a factory a company installs in the ``streammesh.kms`` entry point group::

    [project.entry-points."streammesh.kms"]
    vault = "mycompany.streammesh_vault:open_vault_kms"

  called as ``factory(options, context)`` with ``privacy.kms.options`` and a
  :class:`KmsContext`; it returns a :class:`Kms`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol

from streammesh.config import AwsKmsSettings, KmsSettings, LocalKmsSettings
from streammesh.errors import ConfigError, MeshError

ENTRY_POINT_GROUP = "streammesh.kms"
"""The entry point group third-party key services are declared in."""

BUILTIN_KMS = ("local", "aws")


class Kms(Protocol):
    """Wraps and unwraps data keys with a master key it never hands out."""

    @property
    def key_id(self) -> str:
        """The id of the master key new wraps use; stored beside each wrapped key.

        Raises:
            KmsError: the master key cannot be reached.
        """
        ...

    def wrap(self, key: bytes, context: bytes) -> bytes:
        """``key`` encrypted under the current master key, bound to ``context`` (its owner).

        Raises:
            KmsError: the service cannot wrap.
        """
        ...

    def unwrap(self, wrapped: bytes, context: bytes, key_id: str) -> bytes:
        """The key that :meth:`wrap` wrapped with master key ``key_id`` and the same ``context``.

        Never creates a master key: reading needs the key the data was written with.

        Raises:
            KmsError: unknown master key, other context, or altered bytes.
        """
        ...

    def check(self) -> None:
        """Raise unless the service can be used now; cheap (one file read or one request),
        for readiness probes.

        Raises:
            KmsError: the master key is missing or unreadable, or the service does not answer.
        """
        ...


@dataclass(frozen=True, slots=True)
class KmsContext:
    """What a key service may need of the mesh that opens it.

    Attributes:
        home: The mesh directory (relative paths in its settings are inside it).
        wrapped_keys: How many keys the mesh holds wrapped (0: nothing would be lost by
            making a new master key).
    """

    home: Path
    wrapped_keys: Callable[[], int]


class KmsFactory(Protocol):
    """What a ``streammesh.kms`` entry point names: builds the key service from its options."""

    def __call__(self, options: Mapping[str, Any], context: KmsContext) -> Kms: ...


def open_kms(settings: KmsSettings, context: KmsContext) -> Kms:
    """The key service ``settings`` (``privacy.kms``) chooses; no remote call is made.

    A local master key that is missing while the mesh holds wrapped keys is refused here, so a
    mesh (or a replica given no key) refuses to start rather than fail on every read.

    Raises:
        MasterKeyMissing: a local master key is missing and keys are wrapped.
        MissingDependency: ``aws`` without boto3 installed.
        ConfigError: no key service of that type is installed, or its factory fails.
    """
    if isinstance(settings, LocalKmsSettings):
        from streammesh.privacy.local_kms import LocalKms

        kms = LocalKms.from_settings(settings, context)
        kms.check_present()
        return kms
    if isinstance(settings, AwsKmsSettings):
        from streammesh.privacy.aws_kms import AwsKms

        return AwsKms.from_settings(settings)
    return _plugin(settings.type, settings.options, context)


def _plugin(name: str, options: Mapping[str, Any], context: KmsContext) -> Kms:
    found = [point for point in entry_points(group=ENTRY_POINT_GROUP) if point.name == name]
    if not found:
        known = sorted({*BUILTIN_KMS, *(p.name for p in entry_points(group=ENTRY_POINT_GROUP))})
        raise ConfigError(
            f"privacy.kms.type '{name}' in mesh.yaml is no installed key service; use one of "
            f"{', '.join(known)}, or install the package that declares '{name}' in the "
            f"'{ENTRY_POINT_GROUP}' entry point group"
        )
    point = found[0]
    try:
        factory: KmsFactory = point.load()
        return factory(options, context)
    except MeshError:
        raise
    except Exception as exc:  # a plugin's failure is reported as the configuration it is
        raise ConfigError(
            f"privacy.kms.type '{name}' in mesh.yaml: the key service '{point.value}' could not "
            f"be opened with privacy.kms.options: {type(exc).__name__}: {exc}"
        ) from exc
