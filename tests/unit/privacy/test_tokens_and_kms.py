"""Tokenization (deterministic, reversible only when allowed) and the local KMS's key file."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from streammesh.audit import AuditAction, AuditLog
from streammesh.privacy import KeyStore, KmsError, LocalKms, Tokenizer, TokenNotGranted
from streammesh.store import MetadataStore, open_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[MetadataStore]:
    with open_store(f"sqlite:///{tmp_path / 'meta.db'}") as opened:
        yield opened


def test_tokens_are_deterministic_and_reversible_only_when_allowed(
    store: MetadataStore, tmp_path: Path
) -> None:
    keys = KeyStore(store, LocalKms.for_mesh(tmp_path))
    tokens = Tokenizer(keys, "customers.profiles.v1")
    first = tokens.tokenize("alice@example.com")
    assert first == Tokenizer(keys, "customers.profiles.v2").tokenize("alice@example.com")
    assert first != tokens.tokenize("bob@example.com")
    assert "alice" not in first and first.startswith("tok_")
    assert Tokenizer(keys, "other.product").tokenize("alice@example.com") != first
    with pytest.raises(TokenNotGranted, match="'marketing'"):
        tokens.detokenize(first, principal="marketing", allowed=False)
    assert tokens.detokenize(first, principal="fraud", allowed=True) == "alice@example.com"
    revealed = AuditLog(store).entries(actions=[AuditAction.TOKEN_REVEALED])
    assert [(e.actor, e.subject) for e in revealed] == [("fraud", "customers.profiles")]


def test_master_key_file_is_private_and_checked(tmp_path: Path) -> None:
    kms = LocalKms.for_mesh(tmp_path)
    assert not kms.path.exists()  # made when first needed: a mesh without privacy has none
    wrapped = kms.wrap(b"k" * 32, b"context")
    assert os.stat(kms.path).st_mode & 0o777 == 0o600
    assert LocalKms.for_mesh(tmp_path).key_id == kms.key_id  # the same key when reopened
    assert kms.unwrap(wrapped, b"context", kms.key_id) == b"k" * 32
    with pytest.raises(KmsError, match="altered or moved"):
        kms.unwrap(wrapped, b"other", kms.key_id)
    os.chmod(kms.path, 0o644)
    with pytest.raises(KmsError, match="chmod 600"):
        LocalKms.for_mesh(tmp_path).wrap(b"k" * 32, b"context")
