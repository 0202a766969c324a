"""Who may write what under ``/registry``: a role x domain matrix over every registry operation
of the OpenAPI document, audit rows and mesh events for every kind of registry write, subjects
of live data products protected from deletes, and the refusals as Confluent's own client sees
them. The answers are the ones ``docs/schema-registry.md`` documents."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from streammesh.audit import AuditLog
from streammesh.cli.mesh_connection import cli_actor
from streammesh.identity import Role, TokenStore
from streammesh.registry.base import CompatibilityLevel
from streammesh.registry.errors import OperationNotPermitted, RegistryPermissionDenied
from streammesh.registry.http import HttpSchemaRegistry
from streammesh.server.settings import ServerSettings
from streammesh.store import open_store
from tests.integration.api_v1_support import Served, avro, descriptor, serve, sources
from tests.support.streammesh_server import StreammeshServer
from tests.unit.cli.invoking import invoke_cli

PRODUCT = "execution.stocktrades.v1"
PRODUCT_SUBJECT = f"{PRODUCT}-value"
RETIRING = "execution.fills"
TRADE = avro()
TRADE_WITH_VENUE = avro({"name": "venue", "type": "string", "default": "XNYS", "doc": "Venue."})

# Who asks: (principal, role). The owners are user accounts of a team of their domain; the
# member and the consumer are accounts of the owning team, so only their role refuses them.
PEOPLE = {
    "member": ("mia", Role.MEMBER),
    "consumer": ("cole", Role.CONSUMER),
    "owner": ("ada", Role.DOMAIN_OWNER),  # execution-team, domain execution
    "other-owner": ("sam", Role.DOMAIN_OWNER),  # sales-team, domain sales
    "governance": ("gina", Role.GOVERNANCE),
    "platform-admin": ("root", Role.PLATFORM_ADMIN),
}
TEAMS = {"mia": "execution-team", "cole": "execution-team", "ada": "execution-team"}
TEAMS["sam"] = "sales-team"

# The documented answers (docs/schema-registry.md, "Who may write what"): a status, or for a
# refusal (status, Confluent error_code).
OK = 200
ROLE_REFUSED = (403, 40301)
OUTSIDE_DOMAIN = (403, 40306)
READ = dict.fromkeys(PEOPLE, OK)
SUBJECT_WRITE = {
    "member": ROLE_REFUSED,
    "consumer": ROLE_REFUSED,
    "owner": OK,
    "other-owner": OUTSIDE_DOMAIN,
    "governance": OK,
    "platform-admin": OK,
}
GLOBAL_WRITE = {
    "member": ROLE_REFUSED,
    "consumer": ROLE_REFUSED,
    "owner": ROLE_REFUSED,
    "other-owner": ROLE_REFUSED,
    "governance": OK,
    "platform-admin": OK,
}

_SCHEMA = {"schema": TRADE}
# (method, path) -> (expected answers, request body). Every /registry operation of the OpenAPI
# document has a row: a new route without one fails test_every_registry_operation_has_a_row.
OPERATIONS: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any] | None]] = {
    ("GET", "/registry/schemas/types"): (READ, None),
    ("GET", "/registry/schemas/ids/{schema_id}"): (READ, None),
    ("GET", "/registry/schemas/ids/{schema_id}/schema"): (READ, None),
    ("GET", "/registry/schemas/ids/{schema_id}/subjects"): (READ, None),
    ("GET", "/registry/schemas/ids/{schema_id}/versions"): (READ, None),
    ("GET", "/registry/subjects"): (READ, None),
    ("GET", "/registry/subjects/{subject}/versions"): (READ, None),
    ("POST", "/registry/subjects/{subject}/versions"): (
        SUBJECT_WRITE,
        {"schema": TRADE_WITH_VENUE},
    ),
    ("GET", "/registry/subjects/{subject}/versions/{version}"): (READ, None),
    ("GET", "/registry/subjects/{subject}/versions/{version}/schema"): (READ, None),
    ("GET", "/registry/subjects/{subject}/versions/{version}/referencedby"): (READ, None),
    ("POST", "/registry/subjects/{subject}"): (READ, _SCHEMA),
    ("DELETE", "/registry/subjects/{subject}"): (SUBJECT_WRITE, None),
    ("DELETE", "/registry/subjects/{subject}/versions/{version}"): (SUBJECT_WRITE, None),
    ("GET", "/registry/associations/resources/{namespace}/{resource}"): (READ, None),
    ("POST", "/registry/compatibility/subjects/{subject}/versions/{version}"): (READ, _SCHEMA),
    ("POST", "/registry/compatibility/subjects/{subject}/versions"): (READ, _SCHEMA),
    ("GET", "/registry/config"): (READ, None),
    ("PUT", "/registry/config"): (GLOBAL_WRITE, {"compatibility": "FULL_TRANSITIVE"}),
    ("DELETE", "/registry/config"): (GLOBAL_WRITE, None),
    ("GET", "/registry/config/{subject}"): (READ, None),
    ("PUT", "/registry/config/{subject}"): (SUBJECT_WRITE, {"compatibility": "FULL"}),
    ("DELETE", "/registry/config/{subject}"): (SUBJECT_WRITE, None),
    ("GET", "/registry/mode"): (READ, None),
    ("PUT", "/registry/mode"): (GLOBAL_WRITE, {"mode": "READWRITE"}),
    ("DELETE", "/registry/mode"): (GLOBAL_WRITE, None),
    ("GET", "/registry/mode/{subject}"): (READ, None),
    ("PUT", "/registry/mode/{subject}"): (SUBJECT_WRITE, {"mode": "READONLY"}),
    ("DELETE", "/registry/mode/{subject}"): (SUBJECT_WRITE, None),
}


@dataclass
class Mesh:
    """The served mesh and a token per person."""

    served: Served
    tokens: dict[str, str]

    def call(self, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return self.served.client.request(method, path, headers=headers, **kwargs)

    def ok(self, who: str, method: str, path: str, **kwargs: Any) -> Any:
        response = self.call(who, method, path, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    def refused(self, who: str, method: str, path: str, status: int, **kwargs: Any) -> Any:
        response = self.call(who, method, path, **kwargs)
        assert response.status_code == status, response.text
        body = response.json()
        assert set(body) == {"error_code", "message"}, body  # Confluent's error shape
        return body

    def audit(self, subject: str) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self.ok(
            "platform-admin", "GET", "/api/v1/audit", params={"subject": subject, "limit": 1000}
        )
        return entries


def _people(mesh_dir: Path, served: Served) -> dict[str, str]:
    """Domains, teams and accounts for ``PEOPLE``, and a token each."""
    admin = served.headers()
    client = served.client
    for path, body in (
        ("/api/v1/domains", {"name": "sales"}),
        ("/api/v1/teams", {"name": "sales-team", "domain": "sales"}),
        *(
            ("/api/v1/principals", {"name": name, "kind": "user", "team": team})
            for name, team in TEAMS.items()
        ),
    ):
        response = client.post(path, json=body, headers=admin)
        assert response.status_code in (200, 201), response.text
    with open_store(ServerSettings(mesh=mesh_dir).resolved_store_url) as store:
        issued = TokenStore(store)
        return {who: issued.create(name, role).secret for who, (name, role) in PEOPLE.items()}


@pytest.fixture(scope="module")
def mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    mesh_dir = tmp_path_factory.mktemp("mesh")
    for served in serve(mesh_dir):
        applied = served.client.post(
            "/api/v1/apply",
            json=sources((descriptor(), TRADE), (descriptor(RETIRING), TRADE)),
            headers=served.headers(),
        )
        assert applied.status_code == 200, applied.text
        yield Mesh(served, _people(mesh_dir, served))


_subjects = count()


def _fresh_subject(mesh: Mesh, *, settings: bool) -> str:
    """A subject of domain ``execution`` (by its first segment) that no product uses, holding
    version 1 and, with ``settings``, a compatibility level and mode of its own."""
    subject = f"execution.scratch{next(_subjects)}-value"
    mesh.ok("platform-admin", "POST", f"/registry/subjects/{subject}/versions", json=_SCHEMA)
    if settings:
        level = {"compatibility": "NONE"}
        mesh.ok("platform-admin", "PUT", f"/registry/config/{subject}", json=level)
        mesh.ok("platform-admin", "PUT", f"/registry/mode/{subject}", json={"mode": "READWRITE"})
    return subject


def _url(template: str, subject: str, schema_id: int) -> str:
    values = {
        "subject": subject,
        "version": "1",
        "schema_id": str(schema_id),
        "namespace": "topic",
        "resource": "anything",
    }
    return re.sub(r"\{(\w+)\}", lambda found: values[found.group(1)], template)


def test_every_registry_operation_has_a_row(mesh: Mesh) -> None:
    document = mesh.served.client.app.openapi()  # type: ignore[attr-defined]
    documented = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        if path.startswith("/registry")
        for method in operations
    }
    assert documented == set(OPERATIONS)


@pytest.mark.parametrize("operation", sorted(OPERATIONS), ids=" ".join)
def test_each_role_gets_the_documented_answer(mesh: Mesh, operation: tuple[str, str]) -> None:
    method, template = operation
    expected, body = OPERATIONS[operation]
    shared = None
    for who in PEOPLE:
        # Writes get a subject of their own per caller, so every caller meets the same state.
        if expected is READ and shared is not None:
            subject = shared
        else:  # the subject's own level and mode, for the routes that read or remove them
            subject = _fresh_subject(mesh, settings=template.endswith("{subject}"))
        shared = shared or subject
        schema_id = mesh.ok("platform-admin", "GET", f"/registry/subjects/{subject}/versions/1")
        url = _url(template, subject, schema_id["id"])
        response = mesh.call(who, method, url, json=body)
        answer = expected[who]
        if answer == OK:
            assert response.status_code == OK, f"{who}: {response.text}"
            continue
        status, code = answer
        assert (response.status_code, response.json()["error_code"]) == (status, code), (
            f"{who}: {response.text}"
        )
        # A refused write wrote nothing.
        name = PEOPLE[who][0]
        assert name not in {entry["actor"] for entry in mesh.audit(subject)}
        if code == 40306:
            assert "'execution'" in response.json()["message"]


def test_a_subject_belongs_to_its_products_domain_and_free_subjects_to_anyone(mesh: Mesh) -> None:
    key_subject = f"{PRODUCT}-key"
    refused = mesh.refused(
        "other-owner", "POST", f"/registry/subjects/{key_subject}/versions", 403, json=_SCHEMA
    )
    assert refused["error_code"] == 40306
    message = refused["message"]
    assert f"'sam' may not register a schema under subject '{key_subject}'" in message
    assert "belongs to domain 'execution'" in message and "('sales')" in message
    mesh.ok("owner", "POST", f"/registry/subjects/{key_subject}/versions", json=_SCHEMA)
    # A subject of no product and no registered domain is free-form, as in Confluent's registry.
    mesh.ok("other-owner", "POST", "/registry/subjects/scratchpad-value/versions", json=_SCHEMA)
    mesh.ok("owner", "PUT", "/registry/config/scratchpad-value", json={"compatibility": "NONE"})


def test_every_kind_of_registry_write_is_audited_and_on_mesh_events(mesh: Mesh) -> None:
    subject = "execution.audited-value"
    base = f"/registry/subjects/{subject}"
    first = mesh.ok("owner", "POST", f"{base}/versions", json=_SCHEMA)["id"]
    mesh.ok("owner", "POST", f"{base}/versions", json=_SCHEMA)  # idempotent: not a change
    second = mesh.ok("owner", "POST", f"{base}/versions", json={"schema": TRADE_WITH_VENUE})["id"]
    mesh.ok("owner", "PUT", f"/registry/config/{subject}", json={"compatibility": "BACKWARD"})
    mesh.ok("owner", "PUT", f"/registry/config/{subject}", json={"compatibility": "BACKWARD"})
    mesh.ok("owner", "DELETE", f"/registry/config/{subject}")
    mesh.ok("owner", "PUT", f"/registry/mode/{subject}", json={"mode": "READONLY"})
    mesh.ok("owner", "DELETE", f"/registry/mode/{subject}")
    mesh.ok("owner", "DELETE", f"{base}/versions/2")
    mesh.ok("owner", "DELETE", f"{base}/versions/2", params={"permanent": "true"})
    mesh.ok("owner", "DELETE", base)
    mesh.ok("owner", "DELETE", base, params={"permanent": "true"})

    def version(number: int, schema_id: int, deleted: bool) -> dict[str, Any]:
        return {"version": number, "id": schema_id, "deleted": deleted}

    def registered(number: int, schema_id: int) -> dict[str, Any]:
        return {"subject": subject, "version": number, "id": schema_id, "schema_type": "AVRO"}

    entries = mesh.audit(subject)
    assert {entry["actor"] for entry in entries} == {"ada"}
    assert [(e["type"], e["before"], e["after"], e["note"]) for e in entries] == [
        ("registry.schema-registered", None, registered(1, first), None),
        ("registry.schema-registered", None, registered(2, second), None),
        ("registry.config-changed", {"compatibility": None}, {"compatibility": "BACKWARD"}, None),
        ("registry.config-changed", {"compatibility": "BACKWARD"}, {"compatibility": None}, None),
        ("registry.mode-changed", {"mode": None}, {"mode": "READONLY"}, None),
        ("registry.mode-changed", {"mode": "READONLY"}, {"mode": None}, None),
        ("registry.version-deleted", version(2, second, False), version(2, second, True),
         "soft delete"),
        ("registry.version-deleted", version(2, second, True), None, "permanent delete"),
        ("registry.subject-deleted", {"versions": [version(1, first, False)]},
         {"versions": [version(1, first, True)]}, "soft delete"),
        ("registry.subject-deleted", {"versions": [version(1, first, True)]}, None,
         "permanent delete"),
    ]  # fmt: skip

    mesh.ok("governance", "DELETE", "/registry/config")  # whatever other tests set
    mesh.ok("governance", "DELETE", "/registry/mode")
    mesh.ok("governance", "PUT", "/registry/config", json={"compatibility": "BACKWARD"})
    mesh.ok("governance", "DELETE", "/registry/config")
    mesh.ok("platform-admin", "PUT", "/registry/mode", json={"mode": "READONLY"})
    mesh.ok("platform-admin", "DELETE", "/registry/mode")
    global_entries = mesh.audit("registry:global")
    changes = [(e["type"], e["actor"], e["before"], e["after"]) for e in global_entries]
    assert changes[-4:] == [
        ("registry.config-changed", "gina", {"compatibility": None}, {"compatibility": "BACKWARD"}),
        ("registry.config-changed", "gina", {"compatibility": "BACKWARD"}, {"compatibility": None}),
        ("registry.mode-changed", "root", {"mode": None}, {"mode": "READONLY"}),
        ("registry.mode-changed", "root", {"mode": "READONLY"}, {"mode": None}),
    ]

    feed = mesh.ok("platform-admin", "GET", "/api/v1/mesh-events", params={"limit": 1000})
    relayed = {event["id"]: event for event in feed["events"]}
    for entry in entries + global_entries[-4:]:
        assert relayed[entry["id"]] == entry


def test_apply_registers_its_schema_without_a_registry_audit_row(mesh: Mesh) -> None:
    assert mesh.audit(PRODUCT_SUBJECT) == []
    product = [entry["type"] for entry in mesh.audit(PRODUCT)]
    assert "schema.registered" in product


def test_a_live_products_subject_cannot_be_deleted_but_a_retired_ones_can(mesh: Mesh) -> None:
    base = f"/registry/subjects/{PRODUCT_SUBJECT}"
    for params in ({}, {"permanent": "true"}):
        for path in (base, f"{base}/versions/1", f"{base}/versions/latest"):
            refused = mesh.refused("platform-admin", "DELETE", path, 422, params=params)
            assert refused["error_code"] == 42205
            assert f"'{PRODUCT}' (published)" in refused["message"]
            assert "retire the product instead" in refused["message"]
    # Another version of the subject, not the one the product writes with, may be hidden...
    mesh.ok("owner", "POST", f"{base}/versions", json={"schema": TRADE_WITH_VENUE})
    assert mesh.ok("owner", "DELETE", f"{base}/versions/2") == 2
    # ...but not deleted for good: events in the topic may carry its id.
    mesh.refused("owner", "DELETE", f"{base}/versions/2", 422, params={"permanent": "true"})
    assert mesh.ok("owner", "GET", f"{base}/versions") == [1]
    assert mesh.ok("owner", "GET", f"/registry/subjects/{PRODUCT_SUBJECT}/versions/1")["id"]

    retiring = f"{RETIRING}.v1"
    deprecation = {"reason": "merged into trades", "sunset": "2027-01-31"}
    mesh.ok("platform-admin", "POST", f"/api/v1/products/{retiring}/deprecate", json=deprecation)
    mesh.refused("owner", "DELETE", f"/registry/subjects/{retiring}-value", 422)  # deprecated
    mesh.ok("platform-admin", "POST", f"/api/v1/products/{retiring}/retire", json={})
    assert mesh.ok("owner", "DELETE", f"/registry/subjects/{retiring}-value") == [1]
    permanent = {"permanent": "true"}
    assert mesh.ok("owner", "DELETE", f"/registry/subjects/{retiring}-value", params=permanent) == [
        1
    ]
    gone = mesh.refused("owner", "GET", f"/registry/subjects/{retiring}-value/versions", 404)
    assert gone["error_code"] == 40401


# -- Confluent's own client against a real server ------------------------------------------------


@pytest.fixture(scope="module")
def real(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[StreammeshServer, dict[str, str]]]:
    with StreammeshServer(tmp_path_factory.mktemp("mesh")) as server:
        assert server.admin_token is not None
        with httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {server.admin_token}"}
        ) as admin:
            applied = admin.post("/api/v1/apply", json=sources((descriptor(), TRADE)))
            assert applied.status_code == 200, applied.text
            for path, body in (
                ("/api/v1/domains", {"name": "sales"}),
                ("/api/v1/teams", {"name": "sales-team", "domain": "sales"}),
                ("/api/v1/principals", {"name": "sam", "kind": "user", "team": "sales-team"}),
            ):
                assert admin.post(path, json=body).status_code in (200, 201)
        with open_store(ServerSettings(mesh=server.mesh).resolved_store_url) as store:
            tokens = {
                "sam": TokenStore(store).create("sam", Role.DOMAIN_OWNER).secret,
                "admin": server.admin_token,
            }
        yield server, tokens


def _client(server: StreammeshServer, name: str, token: str) -> SchemaRegistryClient:
    return SchemaRegistryClient(
        {"url": server.registry_url, "basic.auth.user.info": f"{name}:{token}"}
    )


def _refusal(call: Any, *args: Any, **kwargs: Any) -> SchemaRegistryError:
    with pytest.raises(SchemaRegistryError) as refused:
        call(*args, **kwargs)
    return refused.value


def test_confluent_clients_get_the_refusals_as_schema_registry_errors(
    real: tuple[StreammeshServer, dict[str, str]],
) -> None:
    server, tokens = real
    with (
        _client(server, "sam", tokens["sam"]) as sam,
        _client(server, "admin", tokens["admin"]) as admin,
    ):
        outside = _refusal(sam.register_schema, PRODUCT_SUBJECT, Schema(TRADE_WITH_VENUE, "AVRO"))
        assert (outside.http_status_code, outside.error_code) == (403, 40306)
        assert "domain 'execution'" in outside.error_message
        global_level = _refusal(sam.set_compatibility, level="NONE")
        assert (global_level.http_status_code, global_level.error_code) == (403, 40301)

        in_use = _refusal(admin.delete_subject, PRODUCT_SUBJECT, permanent=True)
        assert (in_use.http_status_code, in_use.error_code) == (422, 42205)
        assert "retire the product instead" in in_use.error_message
        assert admin.get_versions(PRODUCT_SUBJECT) == [1]
        stored = json.loads(admin.get_latest_version(PRODUCT_SUBJECT).schema.schema_str or "")
        assert stored == json.loads(TRADE)


def test_the_mesh_registry_client_names_the_domain_without_a_role_hint(
    real: tuple[StreammeshServer, dict[str, str]],
) -> None:
    server, tokens = real
    with (
        HttpSchemaRegistry(server.url, tokens["sam"], timeout_s=10) as sam,
        pytest.raises(RegistryPermissionDenied) as denied,
    ):
        sam.set_compatibility(CompatibilityLevel.NONE, PRODUCT_SUBJECT)
    assert denied.value.code == 40306
    assert "domain 'execution'" in str(denied.value)
    assert "use a token with that role" not in str(denied.value)
    with HttpSchemaRegistry(server.url, tokens["admin"], timeout_s=10) as admin:
        with pytest.raises(OperationNotPermitted, match="retire the product instead"):
            admin.delete_version(PRODUCT_SUBJECT, 1, permanent=True)
        assert (
            admin.compatibility(PRODUCT_SUBJECT, fallback=True)
            is CompatibilityLevel.FULL_TRANSITIVE
        )


def test_local_command_line_registry_writes_are_audited_as_the_operator(tmp_path: Path) -> None:
    mesh_dir = tmp_path / "mesh"
    schema = tmp_path / "trade.avsc"
    schema.write_text(TRADE, encoding="utf-8")
    subject = "execution.local-value"
    for args in (
        ("schemas", "register", subject, str(schema)),
        ("schemas", "register", subject, str(schema)),  # idempotent: not a change
        ("schemas", "config", subject, "--set", "BACKWARD"),
    ):
        result = invoke_cli(*args, "--mesh", str(mesh_dir))
        assert result.exit_code == 0, result.stderr
    with open_store(ServerSettings(mesh=mesh_dir).resolved_store_url) as store:
        entries = AuditLog(store).entries(subject=subject)
    assert [entry.action.value for entry in entries] == [
        "registry.schema-registered",
        "registry.config-changed",
    ]
    assert {entry.actor for entry in entries} == {cli_actor()}
