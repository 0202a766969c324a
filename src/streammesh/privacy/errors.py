"""Errors of :mod:`streammesh.privacy`: field encryption, the key store, tokenization."""

from __future__ import annotations

from streammesh.errors import MeshError
from streammesh.products import KeyType


class PrivacyError(MeshError):
    """Base of every privacy error."""


class UndecryptableField(PrivacyError):
    """A protected field's ciphertext does not open: tampered with, moved or foreign.

    Never answered with wrong data: the field is either revealed exactly as written, masked
    (its key was destroyed), or this error is raised.
    """

    def __init__(
        self, product: str, field: str, entity: str, reason: str, header: str | None = None
    ) -> None:
        self.product = product
        self.field = field  # a header sealing several fields: their paths, comma-separated
        self.entity = entity
        self.reason = reason
        self.header = header  # the header that did not open; None: streammesh-enc-<field>
        super().__init__(
            f"field '{field}' of product '{product}' (entity key '{entity}') cannot be "
            f"decrypted: {reason}; the record's '{header or 'streammesh-enc-' + field}' header "
            "was altered, moved from another field or entity, or comes from another mesh — "
            "read the original record"
        )


class NoPlaceholder(PrivacyError):
    """No masked value of a protected field is valid under the product's schema."""

    def __init__(self, product: str, field: str, type_name: str) -> None:
        self.product = product
        self.field = field
        self.type_name = type_name
        super().__init__(
            f"field '{field}' of product '{product}' is protected, but no placeholder of its "
            f"type ({type_name}) is valid under the schema; make the field nullable (or relax "
            "its pattern, format or enum) so that a masked event stays valid"
        )


class UnsupportedFieldValue(PrivacyError):
    """A protected field holds a value that field encryption cannot carry."""

    def __init__(self, product: str, field: str, type_name: str) -> None:
        self.product = product
        self.field = field
        self.type_name = type_name
        super().__init__(
            f"field '{field}' of product '{product}' holds a {type_name}, which field "
            "encryption cannot carry; give JSON types, bytes, decimals, dates, times or UUIDs"
        )


class KmsError(PrivacyError):
    """The key-encryption service cannot wrap or unwrap a key."""

    def __init__(self, kms: str, reason: str) -> None:
        self.kms = kms
        self.reason = reason
        super().__init__(f"key management '{kms}': {reason}")


class MasterKeyMissing(KmsError):
    """The local master key is not there while the store holds keys wrapped by it.

    Never answered by making a new key: a new key would open none of the stored data keys, so
    every encrypted field would be lost for good (and new ones written under a second key).
    On a replica this means it was not given the master key the others share.
    """

    def __init__(self, source: str, setting: str, wrapped_keys: int) -> None:
        self.source = source
        self.setting = setting
        self.wrapped_keys = wrapped_keys
        super().__init__(
            f"local:{source}",
            f"the master key {source} ({setting} in mesh.yaml) is missing, but this mesh "
            f"holds {wrapped_keys} key(s) wrapped by a master key: without it no encrypted "
            "field can be read. Restore the file from your backup (mode 0600), or give this "
            "replica the master key the others share, and start again; streammesh does not "
            "create a new master key over existing encrypted data",
        )


class MasterKeyNotSet(KmsError):
    """The master key is to come from an environment variable that is not set.

    streammesh cannot create a key in another process's environment: the operator makes one
    (``openssl rand -base64 32``), keeps it in the company's secret store and gives it to
    every replica.
    """

    def __init__(self, variable: str, setting: str) -> None:
        self.variable = variable
        self.setting = setting
        super().__init__(
            f"local:env:{variable}",
            f"the environment variable '{variable}' ({setting} in mesh.yaml) that holds the "
            "master key is not set; set it on every replica to the same base64 key (make one "
            "with 'openssl rand -base64 32' and keep it in your secret store)",
        )


class KmsUnavailable(KmsError):
    """A remote key service does not answer or refuses this process's credentials."""


class TokenNotGranted(PrivacyError):
    """A principal asked to reverse a token of a product it is not granted to reverse."""

    def __init__(self, principal: str, product: str) -> None:
        self.principal = principal
        self.product = product
        super().__init__(
            f"principal '{principal}' may not detokenize values of product '{product}'; ask "
            "the owner for a grant that includes classified fields "
            f"('streammesh access request {product} --classified')"
        )


class UnknownToken(PrivacyError):
    """A token that the product's vault does not hold."""

    def __init__(self, product: str, token: str) -> None:
        self.product = product
        self.token = token
        super().__init__(
            f"token '{token}' is not in the vault of product '{product}'; it was made for "
            "another product or mesh, or its value was forgotten"
        )


class InvalidEntityKey(PrivacyError):
    """The key given to ``forget`` does not fit the product's key type."""

    exit_code = 2

    def __init__(self, product: str, key: str, key_type: KeyType, reason: str) -> None:
        self.product = product
        self.key = key
        self.key_type = key_type
        self.reason = reason
        super().__init__(
            f"key '{key}' does not fit product '{product}', whose keys are {key_type.value}: "
            f"{reason}; give the key as its events carry it"
        )


class UnsupportedFieldPath(PrivacyError):
    """A field to encrypt lies inside an array or map, which field encryption cannot reach."""

    def __init__(self, product: str, field: str, why: str | None = None) -> None:
        self.product = product
        self.field = field
        self.why = why
        super().__init__(
            f"field '{field}' of product '{product}' is to be encrypted but "
            + (
                why
                or "lies inside an array or map, which field encryption does not reach yet; "
                "classify the enclosing field instead (it is then encrypted whole)"
            )
        )
