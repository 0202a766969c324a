"""``privacy.kms`` in ``mesh.yaml`` chooses who wraps the data keys: a local master key shared
by every replica (a file or an environment variable, never made on a read), or a key service
plugged in through the ``streammesh.kms`` entry point group; a misconfiguration is one line
naming the setting to fix."""

from __future__ import annotations

import base64
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from streammesh.config import MeshConfig
from streammesh.privacy import (
    KmsError,
    LocalKms,
    MasterKeyMissing,
    MasterKeyNotSet,
    MasterKeySource,
)
from streammesh.privacy.local_kms import MASTER_KEY_FILE
from streammesh.privacy.tables import data_keys
from streammesh.runtime import MeshRuntime
from tests.unit.cli.invoking import invoke_cli

PRODUCT = "customers.profiles"
KEY_ENV = "STREAMMESH_TEST_MASTER_KEY"


def _key_text() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _mesh(home: Path, yaml: str) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    (home / "mesh.yaml").write_text(yaml, encoding="utf-8")
    return home


def _one_error_line(*args: str) -> str:
    result = invoke_cli(*args)
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_a_replica_without_the_shared_key_refuses_to_start_and_makes_no_key(
    tmp_path: Path,
) -> None:
    first = tmp_path / "first"
    with MeshRuntime.open(MeshConfig.load(first)) as mesh:
        mesh.keys.current(PRODUCT, b"user-1")
    # A second mesh directory on the same store: a replica given no master key.
    second = _mesh(tmp_path / "second", f"store: sqlite:///{first / 'meta.db'}\n")
    with pytest.raises(MasterKeyMissing) as caught:
        MeshRuntime.open(MeshConfig.load(second))
    assert "privacy.kms.key_file" in str(caught.value)
    assert "give this replica the master key the others share" in str(caught.value)
    assert not (second / MASTER_KEY_FILE).exists()


def test_a_read_never_creates_a_key_file(tmp_path: Path) -> None:
    with MeshRuntime.open(MeshConfig.load(tmp_path / "mesh")) as mesh:
        mesh.keys.current(PRODUCT, b"user-1")
        with mesh.store.read() as connection:
            row = connection.execute(sa.select(data_keys.c.wrapped, data_keys.c.kek_id)).one()
    elsewhere = LocalKms.for_mesh(tmp_path / "elsewhere")  # no count: only the read decides
    with pytest.raises(MasterKeyMissing, match="is missing"):
        elsewhere.unwrap(row.wrapped, b"context", row.kek_id)
    assert not (tmp_path / "elsewhere" / MASTER_KEY_FILE).exists()


def test_the_master_key_comes_from_an_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, _key_text())
    yaml = f"privacy:\n  kms: {{type: local, key_env: {KEY_ENV}}}\n"
    first = _mesh(tmp_path / "first", yaml)
    with MeshRuntime.open(MeshConfig.load(first)) as mesh:
        made = mesh.keys.current(PRODUCT, b"user-1")
    second = _mesh(tmp_path / "second", yaml + f"store: sqlite:///{first / 'meta.db'}\n")
    with MeshRuntime.open(MeshConfig.load(second)) as mesh:
        read = mesh.keys.for_reading(f"{PRODUCT}.v1", b"user-1", 1, principal="app")
    assert read.key == made
    assert not (first / MASTER_KEY_FILE).exists() and not (second / MASTER_KEY_FILE).exists()


def test_a_key_file_shared_by_path_holds_base64_text(tmp_path: Path) -> None:
    key_file = tmp_path / "secrets" / "master.key"
    key_file.parent.mkdir()
    key_file.write_text(_key_text() + "\n")
    key_file.chmod(0o400)
    home = _mesh(tmp_path / "mesh", f"privacy:\n  kms: {{key_file: {key_file}}}\n")
    with MeshRuntime.open(MeshConfig.load(home)) as mesh:
        key = mesh.keys.current(PRODUCT, b"user-1")
        fresh = LocalKms(MasterKeySource(file=key_file))
        with mesh.store.read() as connection:
            row = connection.execute(sa.select(data_keys.c.wrapped, data_keys.c.kek_id)).one()
    assert row.kek_id == fresh.key_id
    assert not (home / MASTER_KEY_FILE).exists()
    assert key.material  # made under the shared key


def test_an_unset_key_variable_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    home = _mesh(tmp_path, f"privacy:\n  kms: {{key_env: {KEY_ENV}}}\n")
    line = _one_error_line("products", "list", "--mesh", str(home))
    assert f"'{KEY_ENV}'" in line and "privacy.kms.key_env" in line
    assert "openssl rand -base64 32" in line
    with pytest.raises(MasterKeyNotSet):
        MeshRuntime.open(MeshConfig.load(home))


def test_a_key_variable_that_holds_no_key_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, "not-a-key")
    home = _mesh(tmp_path, f"privacy:\n  kms: {{key_env: {KEY_ENV}}}\n")
    line = _one_error_line("products", "list", "--mesh", str(home))
    assert f"environment variable '{KEY_ENV}'" in line and "no 32-byte key" in line


@pytest.mark.parametrize(
    ("kms", "expected"),
    [
        ("{key_file: a.key, key_env: X}", "privacy.kms: Value error, give key_file or key_env"),
        ("{type: aws}", "privacy.kms.key_id: Field required"),
        ("{type: local, key_id: k}", "privacy.kms.key_id: Extra inputs are not permitted"),
        ("{type: vault}", "privacy.kms.type 'vault' in mesh.yaml is no installed key service"),
    ],
)
def test_a_misconfigured_key_service_is_one_line_naming_the_setting(
    tmp_path: Path, kms: str, expected: str
) -> None:
    home = _mesh(tmp_path, f"privacy:\n  kms: {kms}\n")
    assert expected in _one_error_line("products", "list", "--mesh", str(home))
    assert not (home / MASTER_KEY_FILE).exists()


def test_replicas_given_different_keys_are_told_to_share_one(tmp_path: Path) -> None:
    first = tmp_path / "first"
    with MeshRuntime.open(MeshConfig.load(first)) as mesh:
        mesh.keys.current(PRODUCT, b"user-1")
    other = tmp_path / "other.key"
    other.write_bytes(secrets.token_bytes(32))
    other.chmod(0o600)
    second = _mesh(
        tmp_path / "second",
        f"store: sqlite:///{first / 'meta.db'}\nprivacy:\n  kms: {{key_file: {other}}}\n",
    )
    with (
        MeshRuntime.open(MeshConfig.load(second)) as mesh,
        pytest.raises(KmsError, match="every replica must be given the same master key"),
    ):
        mesh.keys.for_reading(f"{PRODUCT}.v1", b"user-1", 1, principal="app")


PLUGIN_MODULE = '''
import hashlib

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class AcmeVault:
    """A stand-in for a company's key service: AES-GCM under a key named in the options."""

    def __init__(self, options, context):
        self._aead = AESGCM(hashlib.sha256(options["secret"].encode()).digest())
        self.home = context.home

    @property
    def key_id(self):
        return "acme:v1"

    def wrap(self, key, context):
        return self._aead.encrypt(b"0" * 12, key, context)

    def unwrap(self, wrapped, context, key_id):
        return self._aead.decrypt(b"0" * 12, wrapped, context)

    def check(self):
        pass
'''


@pytest.fixture
def acme_vault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A distribution ``acme-vault`` declaring ``acme-vault`` in ``streammesh.kms``."""
    (tmp_path / "acme_vault.py").write_text(PLUGIN_MODULE, encoding="utf-8")
    info = tmp_path / "acme_vault-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: acme-vault\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[streammesh.kms]\nacme-vault = acme_vault:AcmeVault\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    sys.modules.pop("acme_vault", None)


@pytest.mark.usefixtures("acme_vault")
def test_a_company_plugs_in_its_own_key_service(tmp_path: Path) -> None:
    yaml = "privacy:\n  kms: {type: acme-vault, options: {secret: s3cret}}\n"
    home = _mesh(tmp_path / "mesh", yaml)
    with MeshRuntime.open(MeshConfig.load(home)) as mesh:
        made = mesh.keys.current(PRODUCT, b"user-1")
        with mesh.store.read() as connection:
            assert connection.execute(sa.select(data_keys.c.kek_id)).scalar_one() == "acme:v1"
    with MeshRuntime.open(MeshConfig.load(home)) as mesh:
        read = mesh.keys.for_reading(f"{PRODUCT}.v1", b"user-1", 1, principal="app")
    assert read.key == made
    assert not (home / MASTER_KEY_FILE).exists()


@pytest.mark.usefixtures("acme_vault")
def test_a_plugin_that_fails_to_open_is_one_line(tmp_path: Path) -> None:
    home = _mesh(tmp_path / "mesh", "privacy:\n  kms: {type: acme-vault}\n")  # no secret
    line = _one_error_line("products", "list", "--mesh", str(home))
    assert "privacy.kms.type 'acme-vault'" in line and "KeyError: 'secret'" in line


def test_check_reads_the_configured_keys_and_makes_none(tmp_path: Path) -> None:
    """``check()`` is what a readiness probe asks: cheap, and it never makes a key."""
    home = tmp_path / "mesh"
    wrapped = {"count": 0}
    kms = LocalKms.for_mesh(home, lambda: wrapped["count"])
    kms.check()  # nothing wrapped yet: the key is made on first use, not by the probe
    assert not (home / MASTER_KEY_FILE).exists()
    wrapped["count"] = 2
    with pytest.raises(MasterKeyMissing, match="holds 2 key"):
        kms.check()
    (home / "privacy").mkdir(parents=True)
    (home / MASTER_KEY_FILE).write_bytes(secrets.token_bytes(32))
    (home / MASTER_KEY_FILE).chmod(0o600)
    kms.check()
    gone = MasterKeySource(file=tmp_path / "old.key", setting="privacy.kms.previous[0].key_file")
    with pytest.raises(KmsError, match=r"previous\[0\]\.key_file"):
        LocalKms(home / MASTER_KEY_FILE, previous=[gone]).check()
