"""The publish page's guided form in process (a ``TestClient`` signed in through the sign-in
form): the form writes the descriptor YAML beside it, problems come one per line with the
field and the fix, the YAML downloads as the file to commit, and an existing product fills
the form."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
import yaml

from streammesh.identity import Role
from tests.integration.api_v1_support import Served, avro, descriptor, own_domain, serve, sources
from tests.integration.test_ui_explore_and_not_found import _sign_in

FORM = {
    "name": "execution.fills",
    "description": "Fills of orders on the exchange.",
    "owner_name": "Ada Lovelace",
    "owner_email": "ada@example.com",
    "team": "execution-team",
    "tags": "Trading, fills",
    "alignment": "source",
    "kind": "measurement",
    "key_field": "fill_id",
    "key_type": "string",
    "sla_tier": "2",
    "quality": "curated",
    "classifications": "trader_email: confidential",
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    for running in serve(tmp_path_factory.mktemp("ui") / "mesh"):
        applied = running.client.post(
            "/api/v1/apply",
            headers=running.headers(),
            json=sources((descriptor("execution.stocktrades"), avro())),
        )
        assert applied.status_code == 200, applied.text
        own_domain(running)
        _sign_in(running.client, running.tokens[Role.DOMAIN_OWNER])
        yield running


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def _box(page: str, name: str) -> str:
    found = re.search(rf'<textarea name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    assert found is not None, name
    return html.unescape(found.group(1))


def _problems(page: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", html.unescape(item))
        for item in re.findall(r'<li class="problem-error" data-field="[^"]*">(.*?)</li>', page)
    ]


def test_the_form_writes_the_yaml_then_plans_applies_and_downloads(served: Served) -> None:
    client = served.client
    csrf = _csrf(client.get("/ui/publish").text)
    written = client.post("/ui/publish", data={**FORM, "csrf": csrf, "action": "compose"})
    assert written.status_code == 200, _problems(written.text)
    document = yaml.safe_load(_box(written.text, "descriptor"))
    assert document["name"] == "execution.fills"
    assert document["owner"] == {"name": "Ada Lovelace", "email": "ada@example.com"}
    assert document["key"] == {"field": "fill_id", "type": "string"}
    assert document["sla"] == {"tier": 2} and document["quality"] == "curated"
    assert document["tags"] == ["trading", "fills"]
    assert document["classifications"] == {"trader_email": ["confidential"]}
    assert document["schema"] == "fills.avsc"
    # The schema box starts from the key field, and the page planned the result at once.
    schema = _box(written.text, "schema_text")
    assert '"name": "fill_id"' in schema
    assert 'id="plan"' in written.text and "Nothing changed yet" in written.text

    downloaded = client.post(
        "/ui/publish",
        data={"csrf": csrf, "action": "download", "descriptor": _box(written.text, "descriptor")},
    )
    assert downloaded.status_code == 200
    assert downloaded.headers["content-disposition"] == 'attachment; filename="fills.yaml"'
    assert yaml.safe_load(downloaded.text) == document

    # The classified field is not in the template schema: planning says so, with the fix.
    with_field = schema.replace(
        '"doc": "The key of the fills event."\n    }',
        '"doc": "The key of the fills event."\n    },\n    '
        '{"name": "trader_email", "type": "string", "doc": "Trader."}',
    )
    applied = client.post(
        "/ui/publish",
        data={
            "csrf": csrf,
            "action": "apply",
            "descriptor": _box(written.text, "descriptor"),
            "schema_text": with_field,
        },
    )
    assert "Applied: execution.fills.v1." in applied.text, _problems(applied.text)

    # A plan with errors is refused with each problem on its line, with its fix.
    personal = yaml.safe_dump({**document, "classifications": {"trader_email": ["pii"]}})
    refused = client.post(
        "/ui/publish",
        data={"csrf": csrf, "action": "apply", "descriptor": personal, "schema_text": with_field},
    )
    assert refused.status_code == 422
    (problem,) = _problems(refused.text)
    assert problem.startswith("retention.classification: execution.fills.v1: ")
    assert "Fix: " in problem


def test_problems_come_one_per_line_with_the_field_and_the_fix(served: Served) -> None:
    client = served.client
    csrf = _csrf(client.get("/ui/publish").text)
    bad = {
        **FORM,
        "description": "",
        "owner_email": "nope",
        "key_field": "",
        "classifications": "trader_email pii",
    }
    refused = client.post("/ui/publish", data={**bad, "csrf": csrf, "action": "compose"})
    assert refused.status_code == 422
    problems = _problems(refused.text)
    assert any(p.startswith("classifications: line 1 'trader_email pii'") for p in problems)
    assert any(p.startswith("description: is required") and "Fix: add" in p for p in problems)
    assert any(
        p.startswith("owner.email") and "Fix: write an e-mail address" in p for p in problems
    )
    assert any(p.startswith("key.field") for p in problems), problems
    # The form keeps what was typed.
    assert 'name="owner_email" value="nope"' in refused.text
    assert "trader_email pii" in refused.text


def test_an_existing_product_fills_the_form(served: Served) -> None:
    page = served.client.get("/ui/publish", params={"product": "execution.stocktrades.v1"}).text
    assert 'name="name" value="execution.stocktrades"' in page
    assert 'name="owner_email" value="ada@example.com"' in page
    assert "<option selected>measurement</option>" in page
    assert 'name="key_field" value="trade_id"' in page
    assert "name: execution.stocktrades" in _box(page, "descriptor")
