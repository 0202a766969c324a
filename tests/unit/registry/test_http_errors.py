"""``HttpSchemaRegistry`` against a real ``streammesh up``: the server's error answers come
back as the same ``streammesh.registry.errors`` classes (and messages) as in-process, and
credential and connection problems get errors that say what to fix."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from streammesh.identity import Role, TokenStore
from streammesh.registry.base import CompatibilityLevel, SchemaReference, SchemaSubmission
from streammesh.registry.errors import (
    CompatibilityNotConfigured,
    IncompatibleSchema,
    InvalidSchemaSubmission,
    InvalidVersion,
    ReferenceExists,
    RegistryAuthenticationFailed,
    RegistryPermissionDenied,
    RegistryUnreachable,
    SchemaNotFound,
    SubjectNotFound,
    SubjectNotSoftDeleted,
    VersionNotFound,
)
from streammesh.registry.http import HttpSchemaRegistry
from streammesh.registry.sql import SqlSchemaRegistry
from streammesh.store import default_store_url, open_store
from tests.support.streammesh_server import StreammeshServer


def _avro(name: str, fields: list[dict[str, str]]) -> SchemaSubmission:
    document = {"type": "record", "name": name, "namespace": "acme", "fields": fields}
    return SchemaSubmission(json.dumps(document))


TRADE = _avro("Trade", [{"name": "symbol", "type": "string"}, {"name": "price", "type": "double"}])
BROKEN = _avro("Trade", [{"name": "symbol", "type": "long"}, {"name": "qty", "type": "int"}])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreammeshServer]:
    with StreammeshServer(tmp_path_factory.mktemp("mesh")) as running:
        yield running


@pytest.fixture(scope="module")
def remote(server: StreammeshServer) -> Iterator[HttpSchemaRegistry]:
    assert server.admin_token is not None
    with HttpSchemaRegistry(server.url, server.admin_token, timeout_s=10) as registry:
        yield registry


def _token(server: StreammeshServer, role: Role) -> str:
    with open_store(default_store_url(server.mesh)) as store:
        return TokenStore(store).create(f"a-{role.value}", role).secret


def test_lookups_of_missing_things_raise_the_registry_errors(remote: HttpSchemaRegistry) -> None:
    with pytest.raises(SubjectNotFound) as subject:
        remote.version("nobody-value", "latest")
    assert (subject.value.subject, str(subject.value)) == (
        "nobody-value",
        "subject 'nobody-value' not found",
    )
    remote.register("missing.v1-value", TRADE)
    with pytest.raises(VersionNotFound) as version:
        remote.version("missing.v1-value", 7)
    assert (version.value.subject, version.value.version) == ("missing.v1-value", 7)
    with pytest.raises(InvalidVersion):
        remote.version("missing.v1-value", 0)
    with pytest.raises(SchemaNotFound):
        remote.schema(987654)
    with pytest.raises(CompatibilityNotConfigured):
        remote.compatibility("missing.v1-value", fallback=False)
    with pytest.raises(SubjectNotSoftDeleted):
        remote.delete_subject("missing.v1-value", permanent=True)


def test_an_invalid_schema_says_where(remote: HttpSchemaRegistry) -> None:
    typo = _avro("Trade", [{"name": "symbol", "type": "strin"}])
    with pytest.raises(InvalidSchemaSubmission) as invalid:
        remote.register("typo.v1-value", typo)
    assert "at /fields/0/type" in invalid.value.reason
    with pytest.raises(SubjectNotFound):
        remote.versions("typo.v1-value")


def test_an_incompatible_schema_lists_what_the_local_registry_lists(
    remote: HttpSchemaRegistry, tmp_path: Path
) -> None:
    remote.register("evolving.v1-value", TRADE)
    with pytest.raises(IncompatibleSchema) as refused:
        remote.register("evolving.v1-value", BROKEN)

    with open_store(default_store_url(tmp_path)) as store:
        local = SqlSchemaRegistry(store)
        local.register("evolving.v1-value", TRADE)
        with pytest.raises(IncompatibleSchema) as expected:
            local.register("evolving.v1-value", BROKEN)
    assert refused.value.level == CompatibilityLevel.FULL_TRANSITIVE.value
    assert refused.value.incompatibilities == expected.value.incompatibilities
    assert len(refused.value.incompatibilities) >= 3
    assert str(refused.value) == str(expected.value)
    assert remote.versions("evolving.v1-value") == [1]


def test_a_referenced_version_cannot_be_deleted(remote: HttpSchemaRegistry) -> None:
    money = remote.register("money.v1-value", _avro("Money", [{"name": "u", "type": "long"}]))
    payment = SchemaSubmission(
        json.dumps(
            {
                "type": "record",
                "name": "Payment",
                "namespace": "acme",
                "fields": [{"name": "amount", "type": "acme.Money"}],
            }
        ),
        references=(SchemaReference("acme.Money", "money.v1-value", money.version),),
    )
    paid = remote.register("payments.v1-value", payment)
    assert paid.references == payment.references
    with pytest.raises(ReferenceExists) as in_use:
        remote.delete_version("money.v1-value", 1)
    assert in_use.value.referenced_by == (paid.id,)
    assert (in_use.value.subject, in_use.value.version) == ("money.v1-value", 1)


def test_a_bad_token_is_refused_with_what_to_do(server: StreammeshServer) -> None:
    with (
        HttpSchemaRegistry(server.url, "sm_not_a_token") as registry,
        pytest.raises(RegistryAuthenticationFailed) as refused,
    ):
        registry.subjects()
    message = str(refused.value)
    assert "unknown, revoked or expired" in message
    assert "streammesh token create" in message
    with (
        HttpSchemaRegistry(server.url, "") as anonymous,
        pytest.raises(RegistryAuthenticationFailed, match="no credentials"),
    ):
        anonymous.subjects()


def test_a_role_that_may_not_write_is_told_so(server: StreammeshServer) -> None:
    with HttpSchemaRegistry(server.url, _token(server, Role.CONSUMER)) as consumer:
        assert isinstance(consumer.subjects(), list), "reading is allowed"
        with pytest.raises(RegistryPermissionDenied) as denied:
            consumer.register("forbidden.v1-value", TRADE)
    assert "role 'consumer'" in str(denied.value)


def test_no_server_names_the_url() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with (
        HttpSchemaRegistry(url, "sm_x", timeout_s=2) as registry,
        pytest.raises(RegistryUnreachable) as unreachable,
    ):
        registry.subjects()
    assert f"{url}/registry" in str(unreachable.value)
    assert "streammesh up" in str(unreachable.value)
