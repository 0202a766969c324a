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

    def __init__(self, product: str, field: str, entity: str, reason: str) -> None:
        self.product = product
        self.field = field
        self.entity = entity
        self.reason = reason
        super().__init__(
            f"field '{field}' of product '{product}' (entity key '{entity}') cannot be "
            f"decrypted: {reason}; the record's 'streammesh-enc-{field}' header was altered, "
            "moved from another field or entity, or comes from another mesh — read the "
            "original record"
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
    """The local master key file is gone while the store holds keys wrapped by it.

    Never answered by making a new key: a new key would open none of the stored data keys, so
    every encrypted field would be lost for good (and new ones written under a second key).
    """

    def __init__(self, path: str, wrapped_keys: int) -> None:
        self.path = path
        self.wrapped_keys = wrapped_keys
        super().__init__(
            f"local:{path}",
            f"the master key file '{path}' is missing, but this mesh holds {wrapped_keys} "
            "key(s) wrapped by it: without it no encrypted field can be read. Restore the "
            "file from your backup to that path (mode 0600) and start again; streammesh does "
            "not create a new master key over existing encrypted data",
        )


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

    def __init__(self, product: str, field: str) -> None:
        self.product = product
        self.field = field
        super().__init__(
            f"field '{field}' of product '{product}' is to be encrypted but lies inside an "
            "array or map, which field encryption does not reach yet; classify the enclosing "
            "field instead (it is then encrypted whole)"
        )
