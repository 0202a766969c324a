"""A lost master key: a mesh that holds wrapped keys refuses to start (naming the file and how to
restore it) instead of making a new key that opens none of them; a mesh that never encrypted
anything starts and makes its key when first needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from streammesh.cli.main import run
from streammesh.config import MeshConfig
from streammesh.privacy import LocalKms, MasterKeyMissing
from streammesh.privacy.local_kms import MASTER_KEY_FILE
from streammesh.runtime import MeshRuntime

PRODUCT = "customers.profiles"


def _mesh_with_encrypted_data(home: Path) -> Path:
    with MeshRuntime.open(MeshConfig.load(home)) as mesh:
        mesh.keys.current(PRODUCT, b"user-1")  # what encrypting a classified field does first
    key = home / MASTER_KEY_FILE
    assert key.exists()
    return key


def test_a_missing_master_key_over_encrypted_data_refuses_to_start(tmp_path: Path) -> None:
    key = _mesh_with_encrypted_data(tmp_path)
    key.unlink()
    with pytest.raises(MasterKeyMissing) as caught:
        MeshRuntime.open(MeshConfig.load(tmp_path))
    message = str(caught.value)
    assert str(key) in message
    assert "backup" in message and "1 key(s)" in message
    assert not key.exists()  # no new key was made over the old data


def test_the_cli_reports_the_missing_key_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = _mesh_with_encrypted_data(tmp_path)
    key.unlink()
    assert run(["products", "list", "--mesh", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")
    assert str(key) in err[0] and "Restore the file from your backup" in err[0]
    assert not key.exists()


def test_a_mesh_that_never_encrypted_starts_without_a_key(tmp_path: Path) -> None:
    with MeshRuntime.open(MeshConfig.load(tmp_path)) as mesh:
        assert not (tmp_path / MASTER_KEY_FILE).exists()
        mesh.keys.current(PRODUCT, b"user-1")  # the first encryption makes the key
    assert (tmp_path / MASTER_KEY_FILE).exists()


def test_a_running_kms_does_not_replace_a_key_deleted_under_it(tmp_path: Path) -> None:
    kms = LocalKms.for_mesh(tmp_path, wrapped_keys=lambda: 3)
    with pytest.raises(MasterKeyMissing, match="holds 3 key"):
        kms.wrap(b"k" * 32, b"context")
    assert not (tmp_path / MASTER_KEY_FILE).exists()
