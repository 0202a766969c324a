"""The governance page in process (a ``TestClient`` signed in through the sign-in form):
counts per domain, and per rule which products break it with the fix."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest

from streammesh.identity import Role
from tests.integration.api_v1_support import Served, avro, descriptor, serve, sources
from tests.integration.test_ui_explore_and_not_found import _sign_in

UNDOCUMENTED = {"name": "venue", "type": "string"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    for running in serve(tmp_path_factory.mktemp("ui") / "mesh"):
        applied = running.client.post(
            "/api/v1/apply",
            headers=running.headers(),
            json=sources(
                (descriptor("execution.fills"), avro(UNDOCUMENTED)),
                (descriptor("execution.orders"), avro()),
                (descriptor("marketing.clicks"), avro(UNDOCUMENTED)),
            ),
        )
        assert applied.status_code == 200, applied.text
        # Published before the rule: the report finds the undocumented field afterwards.
        policy = {"rules": {"schema.field-docs": {"enabled": True, "severity": "warning"}}}
        set_policy = running.client.put(
            "/api/v1/governance/policy", headers=running.headers(), json={"policy": policy}
        )
        assert set_policy.status_code == 200, set_policy.text
        _sign_in(running.client, running.tokens[Role.GOVERNANCE])
        yield running


def test_counts_per_domain_and_products_per_rule_with_the_fix(served: Served) -> None:
    report = served.client.get(
        "/api/v1/governance/report", headers=served.headers(Role.GOVERNANCE)
    ).json()
    page = served.client.get("/ui/governance").text
    for row in report["domains"]:
        found = re.search(
            rf'<tr data-domain="{row["domain"]}"><td><a [^>]+>{row["domain"]}</a></td>'
            r"<td>(\d+)</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>",
            page,
        )
        assert found is not None, row["domain"]
        expected = [row["products"], row["compliant"], row["errors"], row["warnings"]]
        assert [int(value) for value in found.groups()] == expected
    assert report["rules"], "the test products should break at least one rule"
    for rule in report["rules"]:
        block = re.search(rf'data-rule="{re.escape(rule["rule"])}".*?</details>', page, re.S)
        assert block is not None, rule["rule"]
        named = re.findall(r'<a href="/ui/products/([^"]+)">', block.group(0))
        assert sorted(set(named)) == sorted(rule["products"])
    hints = [
        finding["hint"]
        for product in report["products"]
        for finding in product["findings"]
        if finding["hint"]
    ]
    assert hints and all(f"Fix: {hint}" in html.unescape(page) for hint in hints)

    # One domain: its rules and products only.
    marketing = served.client.get("/ui/governance?domain=marketing").text
    assert "Per rule in marketing" in marketing
    assert "execution.fills" not in marketing.split('id="per-domain"')[1].split('id="per-rule"')[1]
