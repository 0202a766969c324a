"""Fixtures of the audit unit tests: a SQLite store per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from streammesh.audit import AuditLog
from streammesh.store import MetadataStore, open_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[MetadataStore]:
    opened = open_store(f"sqlite:///{tmp_path / 'meta.db'}")
    yield opened
    opened.close()


@pytest.fixture
def audit(store: MetadataStore) -> AuditLog:
    return AuditLog(store)
