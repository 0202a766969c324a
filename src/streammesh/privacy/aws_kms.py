"""``AwsKms``: data keys wrapped by an AWS KMS key (``privacy.kms: {type: aws, key_id: ...}``).

The master key never leaves AWS: wrapping is KMS ``Encrypt`` of the 32-byte data key with the
key's owner (product, entity key, version) as the encryption context, unwrapping is ``Decrypt``
naming the key it was wrapped with, so keys wrapped by an earlier key stay readable as long as
this process may use that key (a rotation then re-wraps them: ``streammesh keys rotate``).
Credentials are boto3's usual ones (environment, shared profile, instance or task role).
Needs the ``kms-aws`` extra (``pip install 'streammesh[kms-aws]'``).
"""

from __future__ import annotations

import base64
import threading
from typing import TYPE_CHECKING, Any, cast

from streammesh.config import AwsKmsSettings
from streammesh.errors import MissingDependency
from streammesh.privacy.errors import KmsError, KmsUnavailable

if TYPE_CHECKING:
    from collections.abc import Callable

PREFIX = "aws:"
"""Key ids of this service are ``aws:`` and the key's ARN."""
_CONTEXT_NAME = "streammesh"
_CONNECT_TIMEOUT_S = 3.0
_READ_TIMEOUT_S = 10.0


class AwsKms:
    """A KMS whose master key is an AWS KMS key (id, ARN or ``alias/...``).

    Example:
        >>> kms = AwsKms("alias/streammesh", region="eu-west-1")  # doctest: +SKIP
        >>> kms.unwrap(kms.wrap(b"k" * 32, b"ctx"), b"ctx", kms.key_id)  # doctest: +SKIP
    """

    def __init__(
        self, key_id: str, *, region: str | None = None, endpoint_url: str | None = None
    ) -> None:
        """Args:
        key_id: The KMS key new wraps use (resolved to its ARN on first use).
        region: The AWS region (default: boto3's, e.g. ``$AWS_REGION``).
        endpoint_url: Another endpoint than AWS's (a VPC endpoint, or a stand-in).

        Raises:
            MissingDependency: boto3 is not installed.
        """
        try:
            import boto3
            from botocore.config import Config
        except ImportError as exc:
            raise MissingDependency("AWS KMS (privacy.kms.type: aws)", "kms-aws") from exc
        self.configured_key = key_id
        self._client: Any = boto3.client(
            "kms",
            region_name=region,
            endpoint_url=endpoint_url,
            config=Config(
                connect_timeout=_CONNECT_TIMEOUT_S,
                read_timeout=_READ_TIMEOUT_S,
                retries={"max_attempts": 2, "mode": "standard"},
            ),
        )
        self._arn: str | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: AwsKmsSettings) -> AwsKms:
        """The KMS ``privacy.kms`` (``type: aws``) describes; nothing is asked of AWS yet."""
        return cls(settings.key_id, region=settings.region, endpoint_url=settings.endpoint_url)

    @property
    def key_id(self) -> str:
        """``aws:`` and the ARN of the configured key."""
        return PREFIX + self._key_arn()

    def _key_arn(self) -> str:
        with self._lock:
            if self._arn is None:
                metadata = self._call(
                    "DescribeKey", self._client.describe_key, KeyId=self.configured_key
                )
                self._arn = cast(str, metadata["KeyMetadata"]["Arn"])
            return self._arn

    def check(self) -> None:
        """Raise unless the configured key can be used now (one ``DescribeKey``).

        Raises:
            KmsUnavailable: AWS KMS does not answer, or refuses the credentials.
            KmsError: the key is not enabled.
        """
        answer = self._call("DescribeKey", self._client.describe_key, KeyId=self.configured_key)
        state = answer["KeyMetadata"].get("KeyState", "Enabled")
        if state != "Enabled":
            raise KmsError(
                PREFIX + self.configured_key,
                f"the AWS KMS key '{self.configured_key}' (privacy.kms.key_id in mesh.yaml) is "
                f"{state}; enable it, or configure the key the mesh uses now",
            )

    def wrap(self, key: bytes, context: bytes) -> bytes:
        """``key`` encrypted by AWS KMS under the configured key, bound to ``context``."""
        answer = self._call(
            "Encrypt",
            self._client.encrypt,
            KeyId=self._key_arn(),
            Plaintext=key,
            EncryptionContext=_encryption_context(context),
        )
        return cast(bytes, answer["CiphertextBlob"])

    def unwrap(self, wrapped: bytes, context: bytes, key_id: str) -> bytes:
        """The key that AWS KMS key ``key_id`` (``aws:<arn>``) wrapped with ``context``.

        Raises:
            KmsError: ``key_id`` is not an AWS KMS key, or the bytes or context differ.
            KmsUnavailable: AWS KMS does not answer, or refuses the credentials.
        """
        if not key_id.startswith(PREFIX):
            raise KmsError(
                PREFIX + self.configured_key,
                f"a data key was wrapped by '{key_id}', not by an AWS KMS key: the mesh's "
                "keys were wrapped by another key service; configure that one in privacy.kms",
            )
        answer = self._call(
            "Decrypt",
            self._client.decrypt,
            CiphertextBlob=wrapped,
            KeyId=key_id.removeprefix(PREFIX),
            EncryptionContext=_encryption_context(context),
        )
        return cast(bytes, answer["Plaintext"])

    def _call(self, operation: str, method: Callable[..., Any], **arguments: Any) -> Any:
        """``method(**arguments)`` with botocore's errors translated."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return method(**arguments)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", "?"))
            message = str(error.get("Message") or "").strip()
            where = PREFIX + self.configured_key
            if code == "InvalidCiphertextException":
                raise KmsError(
                    where, "a wrapped key does not open: it was altered or moved in the store"
                ) from None
            if code in ("AccessDeniedException", "UnrecognizedClientException"):
                raise KmsUnavailable(
                    where,
                    f"AWS KMS refused {operation} ({code}{': ' + message if message else ''}); "
                    "give this process credentials allowed to use the key",
                ) from None
            raise KmsError(
                where, f"AWS KMS {operation} failed: {code}{': ' + message if message else ''}"
            ) from None
        except BotoCoreError as exc:
            raise KmsUnavailable(
                PREFIX + self.configured_key,
                f"AWS KMS did not answer {operation}: {exc}; check the network, the region "
                "and the credentials (privacy.kms in mesh.yaml)",
            ) from None


def _encryption_context(context: bytes) -> dict[str, str]:
    """KMS encryption contexts are text: the binding's bytes as base64."""
    return {_CONTEXT_NAME: base64.b64encode(context).decode("ascii")}
