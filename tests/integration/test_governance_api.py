"""``/api/v1/governance``: policies (with role checks and the loosening refusal), the policy
enforced by ``/api/v1/apply``, the compliance report and the proposals' lifecycle."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from streammesh.identity import Role
from tests.integration.api_v1_support import Served, avro, descriptor, own_domain, serve, sources

API = "/api/v1/governance"
EMAIL = {"name": "buyer_email", "type": "string", "doc": "Who bought."}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    for running in serve(tmp_path / "mesh"):
        own_domain(running)
        yield running


def call(
    served: Served, method: str, path: str, role: Role = Role.GOVERNANCE, **kwargs: Any
) -> Any:
    return served.client.request(method, f"{API}{path}", headers=served.headers(role), **kwargs)


def body(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_the_baseline_is_in_force_until_a_policy_is_set(served: Served) -> None:
    shown = body(call(served, "GET", "/policy", Role.CONSUMER))
    assert (shown["version"], shown["policy"]) == (None, None)
    assert shown["effective"]["rules"]["fields.personal-data"]["enabled"] is True
    assert shown["effective"]["rules"]["schema.compatibility"]["minimum"] == "BACKWARD"


@pytest.mark.parametrize(
    ("role", "domain", "status"),
    [
        (Role.GOVERNANCE, None, 200),
        (Role.PLATFORM_ADMIN, None, 200),
        (Role.DOMAIN_OWNER, None, 403),
        (Role.MEMBER, None, 403),
        (Role.CONSUMER, None, 403),
        (Role.DOMAIN_OWNER, "execution", 200),
        (Role.MEMBER, "execution", 403),
        (Role.CONSUMER, "execution", 403),
    ],
)
def test_who_may_set_which_policy(
    served: Served, role: Role, domain: str | None, status: int
) -> None:
    params = {"domain": domain} if domain else {}
    policy = {"rules": {"schema.formats": {"allowed": ["avro"]}}}
    response = call(served, "PUT", "/policy", role, params=params, json={"policy": policy})
    document = body(response, status)
    if status == 200:
        assert document["version"] == 1
        assert document["effective"]["rules"]["schema.formats"]["allowed"] == ["avro"]
    else:
        assert document["error"]["code"] == "forbidden"


def test_a_loosening_domain_policy_is_refused_with_each_rule(served: Served) -> None:
    strict = {"rules": {"schema.compatibility": {"minimum": "FULL"}}}
    body(call(served, "PUT", "/policy", json={"policy": strict}))
    loose = {"rules": {"schema.compatibility": {"minimum": "NONE"}}}
    refused = body(
        call(
            served,
            "PUT",
            "/policy",
            Role.DOMAIN_OWNER,
            params={"domain": "execution"},
            json={"policy": loose},
        ),
        422,
    )
    assert refused["error"]["code"] == "policy-loosened"
    (detail,) = refused["error"]["details"]
    assert detail["rule"] == "policy.loosening"
    assert detail["field"] == "rules.schema.compatibility.minimum"
    assert "'FULL'" in detail["message"]
    invalid = body(call(served, "PUT", "/policy", json={"policy": {"rules": {"x": {}}}}), 422)
    assert invalid["error"]["code"] == "invalid-policy"


def test_apply_enforces_the_mesh_policy_and_the_report_sums_it_up(served: Served) -> None:
    headers = served.headers(Role.DOMAIN_OWNER)
    refused = served.client.post(
        "/api/v1/apply",
        headers=headers,
        json=sources((descriptor(), avro(EMAIL))),
    )
    assert refused.status_code == 422, refused.text
    problems = {item["rule"]: item for item in refused.json()["error"]["details"]}
    assert problems["fields.personal-data"]["hint"].startswith("classify it")
    assert "buyer_email: " in problems["fields.personal-data"]["message"]

    applied = served.client.post(
        "/api/v1/apply", headers=headers, json=sources((descriptor(), avro()))
    )
    assert applied.status_code == 200, applied.text
    clean = body(call(served, "GET", "/report", Role.CONSUMER))
    assert clean["summary"] == {"products": 1, "compliant": 1, "errors": 0, "warnings": 0}

    # A rule set later makes the published product non-compliant.
    runbook = {"rules": {"metadata.required": {"fields": ["links.runbook"]}}}
    body(call(served, "PUT", "/policy", json={"policy": runbook}))
    report = body(call(served, "GET", "/report", Role.CONSUMER))
    assert report["summary"] == {"products": 1, "compliant": 0, "errors": 1, "warnings": 0}
    (domain,) = report["domains"]
    assert domain["domain"] == "execution" and domain["compliant"] == 0
    assert domain["rules"] == [
        {
            "rule": "metadata.required",
            "errors": 1,
            "warnings": 0,
            "products": ["execution.stocktrades.v1"],
        }
    ]
    (product,) = report["products"]
    (finding,) = product["findings"]
    assert (finding["field"], finding["severity"]) == ("links.runbook", "error")


def test_the_proposal_lifecycle(served: Served) -> None:
    created = body(
        call(
            served,
            "POST",
            "/proposals",
            Role.MEMBER,
            json={
                "title": "Keep PII at most 7 days",
                "body": "Personal data kept 30 days is more than any consumer needs.",
                "rules": ["retention.classification"],
            },
        ),
        201,
    )
    number = created["id"]
    assert created["status"] == "draft"
    assert body(call(served, "POST", "/proposals", Role.CONSUMER, json={"title": "x"}), 403)

    move = f"/proposals/{number}/move"
    forbidden = call(served, "POST", move, Role.MEMBER, json={"status": "in-review"})
    assert forbidden.status_code == 403
    skipped = body(call(served, "POST", move, json={"status": "accepted"}), 409)
    assert skipped["error"]["code"] == "proposal-transition-refused"
    for status in ("in-review", "accepted", "implemented"):
        moved = body(call(served, "POST", move, json={"status": status, "note": f"to {status}"}))
        assert moved["status"] == status
    assert [step["status"] for step in moved["history"]] == [
        "draft",
        "in-review",
        "accepted",
        "implemented",
    ]
    assert body(call(served, "POST", move, json={"status": "rejected"}), 409)

    found = body(call(served, "GET", "/proposals", Role.CONSUMER, params={"q": "pii"}))
    assert [item["id"] for item in found] == [number]
    assert body(call(served, "GET", "/proposals", params={"q": "kafka"})) == []
    assert body(call(served, "GET", "/proposals", params={"status": "draft"})) == []
    assert body(call(served, "GET", f"/proposals/{number}", Role.CONSUMER))["id"] == number
    missing = body(call(served, "GET", "/proposals/999"), 404)
    assert missing["error"]["code"] == "proposal-not-found"

    audit = served.client.get(
        "/api/v1/audit", headers=served.headers(), params={"limit": 100}
    ).json()
    types = [entry["type"] for entry in (audit if isinstance(audit, list) else audit["entries"])]
    assert types.count("proposal.moved") == 3
    assert "proposal.created" in types


def test_every_governance_route_needs_a_token(served: Served) -> None:
    for method, path in [
        ("GET", "/policy"),
        ("GET", "/policies"),
        ("PUT", "/policy"),
        ("GET", "/report"),
        ("GET", "/proposals"),
        ("POST", "/proposals"),
        ("GET", "/proposals/1"),
        ("POST", "/proposals/1/move"),
    ]:
        assert served.client.request(method, f"{API}{path}").status_code == 401, path
