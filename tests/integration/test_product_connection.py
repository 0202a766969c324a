"""Connection details of a product (``GET /api/v1/products/{reference}/connection``): where to
connect, the topic, the schema subject and id, the key format, the consumer group rule and
snippets with the caller's principal filled in and never its secret; and the sample as a JSON
lines download, masked and refused like the sample."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from streammesh.identity import Role, TokenStore
from streammesh.privacy import MASK_TEXT
from streammesh.server.settings import ServerSettings
from streammesh.store import open_store
from tests.integration.api_v1_support import Served, avro, descriptor, serve, sources
from tests.support.streammesh_server import StreammeshServer
from tests.support.tansu import with_short_group_sessions

API = "/api/v1"
TRADES = "execution.stocktrades"
PRICES = "execution.prices"
NOTE = {"name": "note", "type": "string", "doc": "Free text about the client."}
SECRET_NOTE = "client asked about margin calls"
PRICES_SCHEMA = json.dumps(
    {
        "type": "object",
        "properties": {
            "quote_id": {"type": "integer", "description": "Identifier."},
            "price": {"type": "number", "description": "Price."},
        },
        "required": ["quote_id", "price"],
    }
)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """An Avro trades product (``note`` classified financial) with one event, a JSON Schema
    prices product keyed by a long, and ``risk-app`` in risk-team (no grant yet)."""
    for server in serve(tmp_path / "mesh"):
        trades = descriptor(extra="classifications: {note: [financial]}\n")
        prices = (
            descriptor(PRICES)
            .replace("schema: stocktrades.avsc", "schema: prices.json")
            .replace("key: {field: trade_id, type: string}", "key: {field: quote_id, type: long}")
        )
        body = sources((trades, avro(NOTE)), (prices, PRICES_SCHEMA))
        _call(server, "POST", "/apply", 200, json=body)
        event = {"trade_id": "t-1", "symbol": "ACME", "price": 10.5, "note": SECRET_NOTE}
        _call(server, "POST", f"/products/{TRADES}/events", 200, json={"events": [event]})
        _call(server, "POST", "/teams", 200, json={"name": "risk-team"})
        _call(
            server,
            "POST",
            "/principals",
            201,
            json={"name": "risk-app", "kind": "service-account", "team": "risk-team"},
        )
        yield server


def _call(served: Served, method: str, path: str, status: int, **kwargs: Any) -> Any:
    response = served.client.request(method, f"{API}{path}", headers=served.headers(), **kwargs)
    assert response.status_code == status, response.text
    return response.json()


def _token(served: Served, principal: str, role: Role) -> tuple[str, dict[str, str]]:
    with open_store(ServerSettings(mesh=served.mesh).resolved_store_url) as store:
        secret = TokenStore(store).create(principal, role).secret
    return secret, {"Authorization": f"Bearer {secret}"}


def _schema_id(served: Served, subject: str) -> int:
    answer = served.client.get(
        f"/registry/subjects/{subject}/versions/latest", headers=served.headers()
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["id"])


def test_the_connection_of_an_avro_product_names_everything_with_the_callers_principal(
    served: Served,
) -> None:
    secret, headers = _token(served, "risk-app", Role.CONSUMER)

    answer = served.client.get(f"{API}/products/{TRADES}/connection", headers=headers)

    assert answer.status_code == 200, answer.text
    document = answer.json()
    assert document["product"] == f"{TRADES}.v1"
    assert document["principal"] == "risk-app"
    assert document["rest_url"] == "http://testserver"
    assert document["bootstrap_servers"] is None  # an embedded mesh is read over REST
    assert document["registry_url"] == "http://testserver/registry"
    assert document["topic"] == f"{TRADES}.v1"
    assert document["schema"] == {
        "subject": f"{TRADES}.v1-value",
        "id": _schema_id(served, f"{TRADES}.v1-value"),
        "format": "avro",
    }
    assert document["key"]["field"] == "trade_id"
    assert document["key"]["type"] == "string"
    assert "UTF-8" in document["key"]["format"]
    assert document["consumer_group"]["suggested"] == "risk-app-execution-stocktrades"
    assert "registers it first" in document["consumer_group"]["rule"]
    sdk = document["snippets"]["python_sdk"]
    assert 'Mesh.connect("http://testserver", token=os.environ["STREAMMESH_TOKEN"])' in sdk
    assert f'mesh.consumer("{TRADES}.v1", "risk-app-execution-stocktrades")' in sdk
    assert document["snippets"]["python_confluent_kafka"] is None  # no Kafka to connect to
    assert secret not in answer.text
    for token in served.tokens.values():
        assert token not in answer.text


def test_the_connection_of_a_json_schema_product_names_its_format_and_key(
    served: Served,
) -> None:
    secret, headers = _token(served, "risk-app", Role.CONSUMER)

    answer = served.client.get(f"{API}/products/{PRICES}/connection", headers=headers)

    assert answer.status_code == 200, answer.text
    document = answer.json()
    assert document["schema"] == {
        "subject": f"{PRICES}.v1-value",
        "id": _schema_id(served, f"{PRICES}.v1-value"),
        "format": "json",
    }
    assert document["key"]["type"] == "long"
    assert "8-byte big-endian" in document["key"]["format"]
    assert secret not in answer.text


def test_the_connection_of_an_unknown_product_is_404(served: Served) -> None:
    answer = served.client.get(
        f"{API}/products/execution.nope/connection", headers=served.headers()
    )

    assert answer.status_code == 404, answer.text


def _download(served: Served, headers: dict[str, str]) -> Any:
    return served.client.get(
        f"{API}/products/{TRADES}/sample", params={"format": "jsonl"}, headers=headers
    )


def test_the_sample_downloads_as_json_lines_masked_like_the_sample(served: Served) -> None:
    body = {"product": TRADES, "application": "risk-app", "purpose": "risk checks"}
    request = _call(served, "POST", "/access/requests", 201, json={**body, "classified": False})
    _call(served, "POST", f"/access/requests/{request['id']}/approve", 200, json={})
    _, headers = _token(served, "risk-app", Role.CONSUMER)

    answer = _download(served, headers)

    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/x-ndjson")
    assert 'filename="execution.stocktrades.v1.jsonl"' in answer.headers["content-disposition"]
    lines = answer.text.splitlines()
    [event] = [json.loads(line) for line in lines]
    assert event["key"] == "t-1"
    assert event["value"]["symbol"] == "ACME"
    assert event["value"]["note"] == MASK_TEXT
    assert SECRET_NOTE not in answer.text
    sample = served.client.get(f"{API}/products/{TRADES}/sample", headers=headers).json()
    assert sample["events"] == [event]


def test_the_download_without_access_is_refused_like_the_sample(served: Served) -> None:
    _, headers = _token(served, "risk-app", Role.CONSUMER)

    answer = _download(served, headers)

    assert answer.status_code == 403, answer.text
    assert answer.json()["error"]["code"] == "access-denied"
    assert SECRET_NOTE not in answer.text and "ACME" not in answer.text


@pytest.mark.slow
def test_the_python_sdk_snippet_reads_the_product_from_a_real_server(tmp_path: Path) -> None:
    """The snippet as the connection document gives it, run as a script against ``streammesh
    up`` with only ``$STREAMMESH_TOKEN`` set, prints the product's event."""
    with StreammeshServer(tmp_path / "mesh") as server:
        assert server.admin_token is not None
        headers = {"Authorization": f"Bearer {server.admin_token}"}
        with httpx.Client(base_url=f"{server.url}{API}", headers=headers, timeout=30) as http:
            applied = http.post("/apply", json=sources((descriptor(), avro())))
            assert applied.status_code == 200, applied.text
            event = {"trade_id": "t-42", "symbol": "ACME", "price": 10.5}
            sent = http.post(f"/products/{TRADES}/events", json={"events": [event]})
            assert sent.status_code == 200, sent.text
            answer = http.get(f"/products/{TRADES}/connection")
        assert answer.status_code == 200, answer.text
        assert server.admin_token not in answer.text
        snippet = answer.json()["snippets"]["python_sdk"]
        script = tmp_path / "connect.py"
        script.write_text(snippet, encoding="utf-8")

        ran = subprocess.run(
            [sys.executable, str(script)],
            env={**os.environ, "STREAMMESH_TOKEN": server.admin_token},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    assert ran.returncode == 0, ran.stderr
    assert "t-42" in ran.stdout and "ACME" in ran.stdout


def _signed_in(served: Served, principal: str, role: Role) -> str:
    """Sign ``principal`` in through the web UI's form; its token's secret."""
    client = served.client
    client.cookies.clear()
    secret, _ = _token(served, principal, role)
    form = client.get("/ui/sign-in")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None, form.text
    signed_in = client.post(
        "/ui/sign-in", data={"token": secret, "csrf": csrf.group(1)}, follow_redirects=False
    )
    assert signed_in.status_code == 303, signed_in.text
    return secret


def test_the_product_page_has_a_connect_section_for_the_viewer(served: Served) -> None:
    secret = _signed_in(served, "risk-app", Role.CONSUMER)

    page = served.client.get(f"/ui/products/{TRADES}.v1")

    assert page.status_code == 200, page.text
    assert '<section class="card" id="connect">' in page.text
    assert '<code data-testid="rest-url">http://testserver</code>' in page.text
    assert '<code data-testid="group">risk-app-execution-stocktrades</code>' in page.text
    assert 'data-testid="snippet-python_sdk"' in page.text
    assert "Mesh.connect(&#34;http://testserver&#34;" in page.text
    assert secret not in page.text
    assert 'data-testid="download-sample"' not in page.text  # no grant: no events to download


def test_the_product_page_download_is_masked_and_refused_like_the_sample(served: Served) -> None:
    _signed_in(served, "risk-app", Role.CONSUMER)
    download = f"/ui/products/{TRADES}.v1/sample.jsonl"

    refused = served.client.get(download)
    assert refused.status_code == 403, refused.text
    assert "ACME" not in refused.text and SECRET_NOTE not in refused.text

    body = {"product": TRADES, "application": "risk-app", "purpose": "risk checks"}
    request = _call(served, "POST", "/access/requests", 201, json={**body, "classified": False})
    _call(served, "POST", f"/access/requests/{request['id']}/approve", 200, json={})
    _signed_in(served, "risk-app", Role.CONSUMER)
    page = served.client.get(f"/ui/products/{TRADES}.v1")
    assert f'href="/ui/products/{TRADES}.v1/sample.jsonl" download' in page.text

    answer = served.client.get(download)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/x-ndjson")
    [event] = [json.loads(line) for line in answer.text.splitlines()]
    assert event["value"]["symbol"] == "ACME"
    assert event["value"]["note"] == MASK_TEXT
    assert SECRET_NOTE not in answer.text


def test_the_confluent_kafka_snippet_reads_the_product_of_a_kafka_mesh(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    """On a mesh whose log is Kafka, the confluent-kafka snippet of the connection document,
    run as a script with only ``$STREAMMESH_TOKEN`` set, reads and deserializes the event
    (Avro through the server's ``/registry`` with basic auth)."""
    mesh = tmp_path / "mesh"
    mesh.mkdir()
    (mesh / "mesh.yaml").write_text(f"log: kafka://{kafka_bootstrap}\n", encoding="utf-8")
    name = "connect.kafkatrades"  # its own topic and groups on the session's broker
    with StreammeshServer(mesh) as server:
        assert server.admin_token is not None
        headers = {"Authorization": f"Bearer {server.admin_token}"}
        with httpx.Client(base_url=f"{server.url}{API}", headers=headers, timeout=30) as http:
            text = descriptor(name).replace("team: execution-team", "team: connect-team")
            assert http.post("/teams", json={"name": "connect-team"}).status_code == 200
            applied = http.post("/apply", json=sources((text, avro())))
            assert applied.status_code == 200, applied.text
            event = {"trade_id": "t-7", "symbol": "KAFKA", "price": 1.5}
            sent = http.post(f"/products/{name}/events", json={"events": [event]})
            assert sent.status_code == 200, sent.text
            answer = http.get(f"/products/{name}/connection")
        assert answer.status_code == 200, answer.text
        assert answer.json()["bootstrap_servers"] == kafka_bootstrap
        snippet = answer.json()["snippets"]["python_confluent_kafka"]
        script = tmp_path / "consume.py"
        script.write_text(snippet, encoding="utf-8")
        env = {**os.environ, "STREAMMESH_TOKEN": server.admin_token, "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(
            with_short_group_sessions(script),  # the snippet as written; a ~1 s group join
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            line = _first_line_with(process, "KAFKA", timeout=60)
        finally:
            process.kill()
            process.communicate()  # reaps it and closes its pipe

    assert "t-7" in line and "'price': 1.5" in line


def _first_line_with(process: subprocess.Popen[str], text: str, *, timeout: float) -> str:
    """The first line ``process`` prints that contains ``text`` (fails with its output)."""
    import selectors
    import time

    assert process.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not selector.select(timeout=1.0):
                continue
            line = process.stdout.readline()
            if not line:
                break
            seen.append(line)
            if text in line:
                return line
    raise AssertionError(f"no line with {text!r}; output:\n{''.join(seen)}")
