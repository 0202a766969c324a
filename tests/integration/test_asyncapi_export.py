"""AsyncAPI 3.0.0 documents of data products (``GET /api/v1/products/{reference}/asyncapi`` and
``streammesh products export --format asyncapi``), each validated against the official AsyncAPI
3.0.0 JSON Schema from the npm registry's ``@asyncapi/specs`` package and parsed with the
independent ``asyncapi3`` object model."""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from fastapi.testclient import TestClient
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from streammesh.identity import Role, TokenStore
from streammesh.log import KafkaSecurity, SaslMechanism, SecurityProtocol
from streammesh.products.asyncapi import ExportedProduct, asyncapi_document, endpoint_of_document
from streammesh.products.connection import endpoint_of
from streammesh.sdk.local import InProcessMesh
from streammesh.server import create_app
from streammesh.server.settings import ServerSettings
from streammesh.store import open_store
from tests.integration.api_v1_support import Served, avro, descriptor, serve, sources
from tests.support.streammesh_server import StreammeshServer
from tests.support.tls import Certificates, make_certificates
from tests.unit.cli.invoking import invoke_cli
from tests.unit.cli.product_workspace import MESH_YAML, make_workspace

API = "/api/v1"
TRADES = "execution.stocktrades"
PRICES = "execution.prices"
ORDERS = "execution.orders"
PRICES_SCHEMA = json.dumps(
    {
        "type": "object",
        "properties": {"quote_id": {"type": "integer"}, "price": {"type": "number"}},
        "required": ["quote_id", "price"],
    }
)
ORDERS_SCHEMA = (
    'syntax = "proto3";\n\nmessage Order {\n  string trade_id = 1;\n  double price = 2;\n}\n'
)
SPECS_PACKAGE = "@asyncapi/specs@6"

Validate = Callable[[dict[str, Any]], None]


@pytest.fixture(scope="session")
def validate_asyncapi(tmp_path_factory: pytest.TempPathFactory) -> Validate:
    """A validator of the official AsyncAPI 3.0.0 JSON Schema, fetched with ``npm pack`` at
    test time (never kept in this repository). No npm is a failure, not a skip."""
    npm = shutil.which("npm")
    assert npm is not None, "npm is needed to fetch the official AsyncAPI schema"
    folder = tmp_path_factory.mktemp("asyncapi-specs")
    packed = subprocess.run(
        [npm, "pack", SPECS_PACKAGE, "--silent", "--pack-destination", str(folder)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert packed.returncode == 0, f"npm pack {SPECS_PACKAGE} failed: {packed.stderr}"
    archive = folder / packed.stdout.strip().splitlines()[-1]
    with tarfile.open(archive) as tar:
        member = tar.extractfile("package/schemas/3.0.0.json")
        assert member is not None
        schema = json.load(member)
    # The bundle carries every definition under its http://asyncapi.com/... id.
    registry: Registry[Any] = Registry().with_resources(
        (uri, Resource.from_contents(contents, default_specification=DRAFT7))
        for uri, contents in schema["definitions"].items()
    )
    validator = jsonschema.Draft7Validator(schema, registry=registry)

    def validate(document: dict[str, Any]) -> None:
        errors = [
            f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
            for error in validator.iter_errors(document)
        ]
        assert not errors, errors

    return validate


def _parse(document: dict[str, Any]) -> Any:
    """The document in the independent ``asyncapi3`` object model."""
    with warnings.catch_warnings():
        # asyncapi3's models shadow pydantic's ``schema`` attribute and warn at import.
        warnings.simplefilter("ignore", UserWarning)
        from asyncapi3 import AsyncAPI3

        return AsyncAPI3.model_validate(document)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """An Avro, a JSON Schema (long key) and a Protobuf product in ``execution``."""
    for server in serve(tmp_path / "mesh"):
        trades = descriptor(extra="classifications: {note: [financial]}\n")
        prices = (
            descriptor(PRICES)
            .replace("schema: stocktrades.avsc", "schema: prices.json")
            .replace("key: {field: trade_id, type: string}", "key: {field: quote_id, type: long}")
        )
        orders = descriptor(ORDERS).replace("schema: stocktrades.avsc", "schema: orders.proto")
        note = {"name": "note", "type": "string"}
        body = sources((trades, avro(note)), (prices, PRICES_SCHEMA), (orders, ORDERS_SCHEMA))
        answer = server.client.post(f"{API}/apply", headers=server.headers(), json=body)
        assert answer.status_code == 200, answer.text
        yield server


def _consumer_headers(served: Served) -> dict[str, str]:
    with open_store(ServerSettings(mesh=served.mesh).resolved_store_url) as store:
        secret = TokenStore(store).create("admin", Role.CONSUMER).secret
    return {"Authorization": f"Bearer {secret}"}


def test_an_avro_products_document_is_valid_asyncapi_with_its_contract(
    served: Served, validate_asyncapi: Validate
) -> None:
    answer = served.client.get(f"{API}/products/{TRADES}/asyncapi", headers=served.headers())

    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    document = answer.json()
    validate_asyncapi(document)
    parsed = _parse(document)
    assert parsed.asyncapi == "3.0.0"
    topic = f"{TRADES}.v1"
    assert document["info"]["title"] == TRADES
    assert document["info"]["version"] == "1.1.0"
    assert document["info"]["contact"]["email"]
    assert document["servers"]["mesh"]["protocol"] == "http"
    assert document["servers"]["mesh"]["host"] == "testserver"
    assert document["servers"]["mesh"]["pathname"] == "/api/v1"
    channel = document["channels"]["execution-stocktrades-v1"]
    assert channel["address"] == topic
    assert channel["bindings"]["kafka"]["topic"] == topic
    assert channel["bindings"]["kafka"]["partitions"] >= 1
    assert channel["x-streammesh-classifications"] == {"note": ["financial"]}
    assert channel["x-streammesh-lifecycle"]["status"]
    assert channel["x-streammesh-sla"]["tier"]
    actions = sorted(op["action"] for op in document["operations"].values())
    assert actions == ["receive", "send"]
    message = document["components"]["messages"]["execution-stocktrades-v1"]
    assert message["payload"]["schemaFormat"] == "application/vnd.apache.avro;version=1.9.0"
    assert {"name": "note", "type": "string"} in message["payload"]["schema"]["fields"]
    kafka = message["bindings"]["kafka"]
    assert kafka["key"]["type"] == "string"
    assert kafka["schemaIdLocation"] == "payload"
    assert kafka["schemaIdPayloadEncoding"] == "confluent"


def test_json_schema_and_protobuf_products_carry_their_registered_schemas(
    served: Served, validate_asyncapi: Validate
) -> None:
    prices = served.client.get(f"{API}/products/{PRICES}/asyncapi", headers=served.headers())
    orders = served.client.get(
        f"{API}/products/{ORDERS}/asyncapi",
        headers={**served.headers(), "Accept": "application/yaml"},
    )

    assert prices.status_code == 200, prices.text
    assert orders.status_code == 200, orders.text
    assert orders.headers["content-type"].startswith("application/yaml")
    json_document = prices.json()
    proto_document = yaml.safe_load(orders.text)
    for document in (json_document, proto_document):
        validate_asyncapi(document)
        _parse(document)
    json_message = json_document["components"]["messages"]["execution-prices-v1"]
    assert json_message["payload"] == {
        "schemaFormat": "application/schema+json;version=draft-07",
        "schema": json.loads(PRICES_SCHEMA),
    }
    assert json_message["bindings"]["kafka"]["key"]["format"] == "int64"
    proto_message = proto_document["components"]["messages"]["execution-orders-v1"]
    assert proto_message["payload"]["schemaFormat"] == "application/vnd.google.protobuf;version=3"
    assert "message Order" in proto_message["payload"]["schema"]


def test_a_product_that_does_not_exist_is_404(served: Served) -> None:
    answer = served.client.get(
        f"{API}/products/execution.nothing/asyncapi", headers=_consumer_headers(served)
    )

    assert answer.status_code == 404, answer.text


def test_the_cli_exports_a_product_and_a_whole_domain(
    served: Served, validate_asyncapi: Validate
) -> None:
    mesh = str(served.mesh)

    one = invoke_cli("products", "export", TRADES, "--mesh", mesh)
    domain = invoke_cli(
        "products", "export", "--domain", "execution", "--output", "json", "--mesh", mesh
    )
    both = invoke_cli("products", "export", TRADES, "--all", "--mesh", mesh)

    assert one.exit_code == 0, one.stderr
    single = yaml.safe_load(one.stdout)
    validate_asyncapi(single)
    assert list(single["channels"]) == ["execution-stocktrades-v1"]
    assert domain.exit_code == 0, domain.stderr
    whole = json.loads(domain.stdout)
    validate_asyncapi(whole)
    _parse(whole)
    assert whole["info"]["title"] == "execution"
    assert sorted(channel["address"] for channel in whole["channels"].values()) == [
        f"{ORDERS}.v1",
        f"{PRICES}.v1",
        f"{TRADES}.v1",
    ]
    assert len(whole["operations"]) == 6
    assert both.exit_code != 0
    assert "exactly one of PRODUCT, --domain D or --all" in " ".join(both.stderr.split())
    assert both.stdout == ""


def test_a_kafka_mesh_is_described_by_its_brokers_and_registry(
    served: Served, validate_asyncapi: Validate
) -> None:
    endpoint = endpoint_of("kafka://broker-1:9092,broker-2:9092", "https://mesh.example.com/")
    with InProcessMesh.open(served.mesh, actor="admin") as mesh:
        products = [
            ExportedProduct(record, mesh.local.registry.schema(record.schema_id).schema)
            for record in mesh.products(domain="execution")
        ]

    document = asyncapi_document(products, endpoint, title="execution")

    validate_asyncapi(document)
    _parse(document)
    assert {name: server["host"] for name, server in document["servers"].items()} == {
        "kafka-1": "broker-1:9092",
        "kafka-2": "broker-2:9092",
    }
    for server in document["servers"].values():
        assert server["protocol"] == "kafka"
        registry = server["bindings"]["kafka"]["schemaRegistryUrl"]
        assert registry == "https://mesh.example.com/registry"
    assert len(document["components"]["messages"]) == 3


def test_through_server_the_cli_exports_the_servers_documents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, validate_asyncapi: Validate
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("STREAMMESH_SERVER", raising=False)
    monkeypatch.delenv("STREAMMESH_TOKEN", raising=False)
    mesh = tmp_path / "server-mesh"
    mesh.mkdir()
    (mesh / "mesh.yaml").write_text(MESH_YAML, encoding="utf-8")
    workspace = make_workspace(tmp_path, monkeypatch, "remoteapi")
    with StreammeshServer(mesh) as server:
        assert server.admin_token is not None
        remote = ("--server", server.url, "--token", server.admin_token)
        applied = invoke_cli("apply", str(workspace.root), "--yes", *remote)
        assert applied.exit_code == 0, applied.stdout + applied.stderr

        one = invoke_cli("products", "export", workspace.name, "--output", "json", *remote)
        domain = invoke_cli("products", "export", "--domain", workspace.domain, *remote)

    assert one.exit_code == 0, one.stderr
    single = json.loads(one.stdout)
    validate_asyncapi(single)
    host = server.url.split("://", 1)[1]
    assert single["servers"]["mesh"]["host"] == host  # the server's URL, not a default
    assert domain.exit_code == 0, domain.stderr
    whole = yaml.safe_load(domain.stdout)
    validate_asyncapi(whole)
    _parse(whole)
    assert whole["info"]["title"] == workspace.domain
    assert whole["servers"]["mesh"]["host"] == host
    assert [channel["address"] for channel in whole["channels"].values()] == [
        f"{workspace.name}.v1"
    ]


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("certificates"))


def _secure_mesh(served: Served, security_yaml: str) -> None:
    """Point ``served``'s mesh at a secured Kafka cluster (its products stay in its store:
    the export reads them and the cluster's settings, never the cluster itself)."""
    (served.mesh / "mesh.yaml").write_text(
        f"{MESH_YAML}log: kafka://broker-1:9093,broker-2:9093\n"
        f"kafka:\n  security:\n{security_yaml}",
        encoding="utf-8",
    )


@pytest.mark.slow  # the server's start and stop with a Kafka log: ~6 s
def test_a_sasl_ssl_scram_clusters_export_names_its_scheme_and_tls_not_its_credentials(
    served: Served,
    validate_asyncapi: Validate,
    certificates: Certificates,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MESH_KAFKA_PASSWORD", "the-mesh-s-own-password")
    _secure_mesh(
        served,
        "    protocol: SASL_SSL\n"
        "    sasl_mechanism: SCRAM-SHA-512\n"
        "    sasl_username: svc-mesh\n"
        "    sasl_password: ${MESH_KAFKA_PASSWORD}\n"
        f"    ssl_ca_location: {certificates.ca}\n",
    )

    one = invoke_cli("products", "export", TRADES, "--output", "json", "--mesh", str(served.mesh))
    domain = invoke_cli("products", "export", "--domain", "execution", "--mesh", str(served.mesh))
    settings = ServerSettings(mesh=served.mesh, run_workers=False)
    with TestClient(create_app(settings)) as client:  # never reaches the cluster
        answer = client.get(f"{API}/products/{TRADES}/asyncapi", headers=served.headers())

    assert one.exit_code == 0, one.stderr
    assert domain.exit_code == 0, domain.stderr
    assert answer.status_code == 200, answer.text
    documents = (json.loads(one.stdout), yaml.safe_load(domain.stdout), answer.json())
    for document in documents:
        validate_asyncapi(document)
        _parse(document)
        assert set(document["servers"]) == {"kafka-1", "kafka-2"}
        for server in document["servers"].values():
            assert server["protocol"] == "kafka-secure"
            assert server["security"] == [
                {"$ref": "#/components/securitySchemes/sasl-scram-sha-512"}
            ]
            assert server["x-streammesh-kafka-security"] == {
                "security.protocol": "SASL_SSL",
                "sasl.mechanism": "SCRAM-SHA-512",
                "sasl.username": None,
                "sasl.password": None,
                "ssl.ca.location": None,
            }
        scheme = document["components"]["securitySchemes"]["sasl-scram-sha-512"]
        assert scheme["type"] == "scramSha512"
    everything = one.stdout + domain.stdout + answer.text
    assert "svc-mesh" not in everything
    assert "the-mesh-s-own-password" not in everything
    assert str(certificates.ca) not in everything


@pytest.mark.parametrize(
    ("security_yaml", "protocol", "scheme"),
    [
        (
            "    protocol: SASL_PLAINTEXT\n    sasl_mechanism: PLAIN\n"
            "    sasl_username: svc-mesh\n    sasl_password: the-mesh-s-own-password\n",
            "kafka",
            {"sasl-plain": "plain"},
        ),
        (
            "    sasl_mechanism: SCRAM-SHA-256\n"
            "    sasl_username: svc-mesh\n    sasl_password: the-mesh-s-own-password\n",
            "kafka-secure",
            {"sasl-scram-sha-256": "scramSha256"},
        ),
        (
            "    sasl_mechanism: OAUTHBEARER\n"
            "    oauthbearer_token_endpoint_url: https://svc-mesh:pw@idp.example.com/token\n"
            "    oauthbearer_client_id: svc-mesh\n"
            "    oauthbearer_client_secret: the-mesh-s-own-password\n"
            "    oauthbearer_scope: kafka\n",
            "kafka-secure",
            {"sasl-oauthbearer": "oauth2"},
        ),
        (
            "    ssl_certificate_location: {cert}\n    ssl_key_location: {key}\n"
            "    ssl_key_password: {password}\n",
            "kafka-secure",
            {"tls-client-certificate": "X509"},
        ),
        ("    protocol: SSL\n", "kafka-secure", {}),
    ],
    ids=["sasl-plaintext-plain", "scram-256", "oauthbearer", "mtls", "tls-only"],
)
def test_every_security_setting_is_valid_asyncapi_naming_the_clients_own_credentials(
    served: Served,
    validate_asyncapi: Validate,
    certificates: Certificates,
    security_yaml: str,
    protocol: str,
    scheme: dict[str, str],
) -> None:
    files = {
        "cert": certificates.client_certificate,
        "key": certificates.client_key,
        "password": certificates.client_key_password,
    }
    _secure_mesh(served, security_yaml.format(**files))

    exported = invoke_cli(
        "products", "export", TRADES, "--output", "json", "--mesh", str(served.mesh)
    )

    assert exported.exit_code == 0, exported.stderr
    document = json.loads(exported.stdout)
    validate_asyncapi(document)
    _parse(document)
    server = document["servers"]["kafka-1"]
    assert server["protocol"] == protocol
    schemes = document["components"].get("securitySchemes", {})
    assert {name: value["type"] for name, value in schemes.items()} == scheme
    assert server.get("security", []) == [
        {"$ref": f"#/components/securitySchemes/{name}"} for name in scheme
    ]
    assert "svc-mesh" not in exported.stdout
    assert "the-mesh-s-own-password" not in exported.stdout
    assert certificates.client_key_password not in exported.stdout
    if "sasl-oauthbearer" in schemes:
        oauth = schemes["sasl-oauthbearer"]
        assert oauth["flows"]["clientCredentials"]["tokenUrl"] == "https://idp.example.com/token"
        assert oauth["scopes"] == ["kafka"]


def test_a_documents_endpoint_is_its_cluster_with_its_security() -> None:
    """What the CLI combines the server's documents of a domain with, through --server."""
    security = KafkaSecurity(
        protocol=SecurityProtocol.SASL_SSL,
        sasl_mechanism=SaslMechanism.OAUTHBEARER,
        oauthbearer_token_endpoint_url="https://idp.example.com/token",
        oauthbearer_scope="kafka",
    )
    endpoint = endpoint_of("kafka://b-1:9093,b-2:9093", "https://mesh.example.com", security)

    assert (
        endpoint_of_document({"servers": {}}, "https://mesh.example.com/").bootstrap_servers is None
    )
    assert (
        endpoint_of_document(
            asyncapi_document([], endpoint, title="mesh"), "https://mesh.example.com"
        )
        == endpoint
    )
