"""Privacy: field-level encryption, masking, crypto-shredding and tokenization.

``FieldProtection`` encrypts a product's classified fields at produce time into record
headers (the event keeps a schema-valid placeholder) and reveals them to consumers granted
classified fields; ``KeyStore`` keeps one data key per (product, entity key), wrapped by a
``Kms`` (which ``privacy.kms`` chooses: ``open_kms``), and destroys it on ``forget``;
``rotate_keys`` re-wraps them all under a new master key; ``Tokenizer`` makes deterministic,
reversible tokens.
See docs/privacy.md.
"""

from __future__ import annotations

from streammesh.privacy.aws_kms import AwsKms
from streammesh.privacy.envelope import EVENT_HEADER, HEADER_PREFIX, header_name
from streammesh.privacy.errors import (
    InvalidEntityKey,
    KmsError,
    KmsUnavailable,
    MasterKeyMissing,
    MasterKeyNotSet,
    NoPlaceholder,
    PrivacyError,
    TokenNotGranted,
    UndecryptableField,
    UnknownToken,
    UnsupportedFieldPath,
    UnsupportedFieldValue,
)
from streammesh.privacy.forgetting import Forgotten, entity_key_bytes, forget
from streammesh.privacy.keys import DataKey, KeyStore, entity_label, product_name
from streammesh.privacy.kms import ENTRY_POINT_GROUP, Kms, KmsContext, KmsFactory, open_kms
from streammesh.privacy.local_kms import LocalKms, MasterKeySource
from streammesh.privacy.placeholders import MASK_TEXT
from streammesh.privacy.protection import (
    ENCRYPTED_CLASSIFICATIONS,
    FieldProtection,
    RevealRecord,
    SchemaCheck,
    encrypted_fields,
    fields_in_clear,
)
from streammesh.privacy.rotation import RotationProgress, RotationSummary, rotate_keys
from streammesh.privacy.tokens import Tokenizer
from streammesh.privacy.values import PLAIN_TYPES

__all__ = [
    "ENCRYPTED_CLASSIFICATIONS",
    "ENTRY_POINT_GROUP",
    "EVENT_HEADER",
    "HEADER_PREFIX",
    "MASK_TEXT",
    "PLAIN_TYPES",
    "AwsKms",
    "DataKey",
    "FieldProtection",
    "Forgotten",
    "InvalidEntityKey",
    "KeyStore",
    "Kms",
    "KmsContext",
    "KmsError",
    "KmsFactory",
    "KmsUnavailable",
    "LocalKms",
    "MasterKeyMissing",
    "MasterKeyNotSet",
    "MasterKeySource",
    "NoPlaceholder",
    "PrivacyError",
    "RevealRecord",
    "RotationProgress",
    "RotationSummary",
    "SchemaCheck",
    "TokenNotGranted",
    "Tokenizer",
    "UndecryptableField",
    "UnknownToken",
    "UnsupportedFieldPath",
    "UnsupportedFieldValue",
    "encrypted_fields",
    "entity_key_bytes",
    "entity_label",
    "fields_in_clear",
    "forget",
    "header_name",
    "open_kms",
    "product_name",
    "rotate_keys",
]
