"""``privacy.kms: {type: aws}``: data keys wrapped by an AWS KMS key through boto3.

The KMS here is moto's KMS server, started on a free loopback port: a stand-in for the real
AWS KMS (same API, same errors for what these tests do), so nothing leaves the machine and no
AWS account is needed. What it cannot show: IAM policies, key grants and latency of the real
service.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
import sqlalchemy as sa
from moto.server import ThreadedMotoServer

from streammesh.config import AwsKmsSettings, MeshConfig
from streammesh.privacy import KmsError, KmsUnavailable
from streammesh.privacy.aws_kms import AwsKms
from streammesh.privacy.local_kms import MASTER_KEY_FILE
from streammesh.privacy.tables import data_keys
from streammesh.runtime import MeshRuntime
from streammesh.sdk import Mesh
from tests.support.processes import free_port
from tests.unit.cli.invoking import invoke_cli

USERS = ("user-1", "user-2", "user-3")
REGION = "eu-west-1"


@pytest.fixture
def kms_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """moto's KMS server on a free loopback port; boto3 is given dummy credentials."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    # moto keeps its keys per process, not per server: each test starts with none.
    httpx.post(f"{endpoint}/moto-api/reset").raise_for_status()
    try:
        yield endpoint
    finally:
        server.stop()


def _client(endpoint: str) -> Any:
    return boto3.client("kms", endpoint_url=endpoint, region_name=REGION)


def _new_key(endpoint: str, alias: str) -> str:
    key = _client(endpoint).create_key(Description="streammesh test")["KeyMetadata"]
    _client(endpoint).create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    return str(key["Arn"])


def _mesh(home: Path, endpoint: str, store: str | None = None) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    yaml = (
        "privacy:\n  kms:\n    type: aws\n    key_id: alias/streammesh\n"
        f"    region: {REGION}\n    endpoint_url: {endpoint}\n"
    )
    if store is not None:
        yaml += f"store: {store}\nlog: embedded://{(home.parent / 'first' / 'log').as_posix()}\n"
    (home / "mesh.yaml").write_text(yaml, encoding="utf-8")
    return home


def _produce(home: Path, repo: Path) -> None:
    with Mesh.open(home, actor="tester") as mesh:
        mesh.apply([repo / "sales"])
        with mesh.producer("sales.orders") as producer:
            for user in USERS:
                producer.send(
                    {
                        "orders_id": user,
                        "customer_email": f"{user}@example.com",
                        "status": "new",
                        "updated_at": 1_700_000_000_000,
                    }
                )
            producer.flush()


def _emails(home: Path, group: str) -> dict[str, str]:
    with Mesh.open(home, actor="tester") as mesh, mesh.consumer("sales.orders", group) as reader:
        events = reader.take(len(USERS), timeout=10)
    return {str(event.key): str((event.value or {})["customer_email"]) for event in events}


def _kek_ids(home: Path) -> set[str]:
    with MeshRuntime.open(MeshConfig.load(home)) as mesh, mesh.store.read() as connection:
        return set(connection.execute(sa.select(data_keys.c.kek_id)).scalars())


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    assert invoke_cli("init", "sales", "--dir", str(tmp_path / "repo")).exit_code == 0
    return tmp_path / "repo"


@pytest.mark.slow  # ~7 s: two meshes, a rotation, three consumers
def test_replicas_read_through_aws_kms_and_rotate_to_a_new_key(
    tmp_path: Path, repo: Path, kms_endpoint: str
) -> None:
    first_arn = _new_key(kms_endpoint, "alias/streammesh")
    first = _mesh(tmp_path / "first", kms_endpoint)
    _produce(first, repo)
    assert _kek_ids(first) == {f"aws:{first_arn}"}
    # Another mesh directory on the same store and log: a replica; no key file anywhere.
    second = _mesh(tmp_path / "second", kms_endpoint, f"sqlite:///{first / 'meta.db'}")
    clear = {user: f"{user}@example.com" for user in USERS}
    assert _emails(second, "replica") == clear
    assert not (first / MASTER_KEY_FILE).exists() and not (second / MASTER_KEY_FILE).exists()

    next_arn = _new_key(kms_endpoint, "alias/streammesh-next")
    result = invoke_cli(
        "keys", "rotate", "--new-key-id", "alias/streammesh-next", "--json", "--mesh", str(first)
    )
    assert result.exit_code == 0, result.stderr
    assert f'"key_id":"aws:{next_arn}"' in result.stdout and '"rewrapped":3' in result.stdout
    assert _kek_ids(first) == {f"aws:{next_arn}"}
    # Decrypt names the key a data key was wrapped by: readable before the config changes.
    assert _emails(second, "after-rotation") == clear


def test_a_disabled_or_unreachable_key_service_is_reported(kms_endpoint: str) -> None:
    arn = _new_key(kms_endpoint, "alias/streammesh")
    settings = AwsKmsSettings(type="aws", key_id="alias/streammesh", endpoint_url=kms_endpoint)
    kms = AwsKms.from_settings(settings)
    kms.check()
    wrapped = kms.wrap(b"k" * 32, b"owner")
    assert kms.unwrap(wrapped, b"owner", kms.key_id) == b"k" * 32
    with pytest.raises(KmsError, match="altered or moved"):
        kms.unwrap(wrapped, b"another owner", kms.key_id)
    _client(kms_endpoint).disable_key(KeyId=arn.rsplit("/", 1)[-1])
    with pytest.raises(KmsError, match="Disabled"):
        kms.check()
    gone = AwsKms("alias/streammesh", endpoint_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(KmsUnavailable, match="did not answer DescribeKey"):
        gone.check()


def test_a_mesh_on_an_unknown_aws_key_fails_on_first_use_in_one_line(
    tmp_path: Path, repo: Path, kms_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = _mesh(tmp_path / "first", kms_endpoint)  # alias/streammesh was never made
    with Mesh.open(home, actor="tester") as mesh:
        mesh.apply([repo / "sales"])
    monkeypatch.setenv("STREAMMESH_HOME", str(home))
    result = invoke_cli(
        "produce",
        "sales.orders",
        stdin=b'{"orders_id": "u", "customer_email": "u@x", "status": "n", "updated_at": 1}\n',
    )
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert "NotFoundException" in line and "aws:alias/streammesh" in line
