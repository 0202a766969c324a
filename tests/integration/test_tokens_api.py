"""``/api/v1/tokens``: list, create and revoke tokens over REST; who may; audit and
``_mesh.events``; failed sign-ins limited per client address."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from streammesh.identity import Role
from streammesh.server.auth import FailedSignIns
from tests.integration.api_v1_support import Served, serve


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    yield from serve(tmp_path / "mesh")


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _create(served: Served, body: dict[str, Any], role: Role = Role.PLATFORM_ADMIN) -> Any:
    return served.client.post("/api/v1/tokens", json=body, headers=served.headers(role))


def _team_with_account(served: Served, team: str, domain: str, account: str) -> None:
    admin = served.headers()
    for path, body in (
        ("/api/v1/domains", {"name": domain}),
        ("/api/v1/teams", {"name": team, "domain": domain}),
        ("/api/v1/principals", {"name": account, "kind": "user", "team": team}),
    ):
        answer = served.client.post(path, json=body, headers=admin)
        assert answer.status_code in (200, 201), answer.text


def test_a_token_revoked_over_rest_is_refused_on_its_next_request(served: Served) -> None:
    created = _create(served, {"principal": "ci-bot", "role": "member", "description": "CI"})
    assert created.status_code == 201, created.text
    issued = created.json()
    assert issued["secret"].startswith("sm_") and issued["active"] is True
    who = served.client.get("/api/v1/whoami", headers=_bearer(issued["secret"]))
    assert who.json()["name"] == "ci-bot"

    revoked = served.client.delete(f"/api/v1/tokens/{issued['id']}", headers=served.headers())
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["active"] is False and revoked.json()["revoked_at"]

    refused = served.client.get("/api/v1/whoami", headers=_bearer(issued["secret"]))
    assert refused.status_code == 401
    listed = served.client.get("/api/v1/tokens", headers=served.headers())
    assert issued["secret"] not in listed.text and "secret" not in listed.text
    [row] = [token for token in listed.json() if token["id"] == issued["id"]]
    assert row["revoked_at"] and not row["active"]


def test_revoking_an_unknown_token_is_a_404_naming_it(served: Served) -> None:
    answer = served.client.delete("/api/v1/tokens/0123456789abcdef", headers=served.headers())
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "token-not-found"
    assert "'0123456789abcdef'" in answer.json()["error"]["message"]


def test_a_past_expiry_is_refused_and_nothing_is_created(served: Served) -> None:
    before = served.client.get("/api/v1/tokens", headers=served.headers()).json()
    answer = _create(
        served, {"principal": "x", "role": "member", "expires_at": "2020-01-01T00:00:00Z"}
    )
    assert answer.status_code == 422
    assert "in the past" in answer.json()["error"]["message"]
    assert served.client.get("/api/v1/tokens", headers=served.headers()).json() == before


def test_token_changes_are_audited_and_on_mesh_events_without_secrets(served: Served) -> None:
    issued = _create(served, {"principal": "ci-bot", "role": "consumer"}).json()
    served.client.delete(f"/api/v1/tokens/{issued['id']}", headers=served.headers())

    audit = served.client.get(
        "/api/v1/audit",
        params={"subject": f"token:{issued['id']}"},
        headers=served.headers(),
    ).json()
    assert [(e["type"], e["actor"]) for e in audit] == [
        ("token.created", "platform-admin-user"),
        ("token.revoked", "platform-admin-user"),
    ]
    assert audit[0]["after"]["principal"] == "ci-bot"
    assert audit[0]["after"]["role"] == "consumer"

    events = served.client.get(
        "/api/v1/mesh-events", params={"limit": 1000}, headers=served.headers()
    )
    mine = [e for e in events.json()["events"] if e["subject"] == f"token:{issued['id']}"]
    assert [e["type"] for e in mine] == ["token.created", "token.revoked"]
    assert issued["secret"] not in events.text and issued["secret"] not in str(audit)


@pytest.mark.parametrize("role", [Role.GOVERNANCE, Role.MEMBER, Role.CONSUMER])
def test_roles_other_than_admin_and_domain_owner_may_not_create_tokens(
    served: Served, role: Role
) -> None:
    answer = _create(served, {"principal": "someone", "role": "consumer"}, role)
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "token-change-refused"
    listed = served.client.get("/api/v1/tokens", headers=served.headers()).json()
    assert not any(token["principal"] == "someone" for token in listed)


def test_a_principal_may_revoke_its_own_token_but_not_anothers(served: Served) -> None:
    mine = _create(served, {"principal": "ada", "role": "member"}).json()
    other = _create(served, {"principal": "bob", "role": "member"}).json()
    as_ada = _bearer(mine["secret"])
    assert [t["id"] for t in served.client.get("/api/v1/tokens", headers=as_ada).json()] == [
        mine["id"]
    ]
    refused = served.client.delete(f"/api/v1/tokens/{other['id']}", headers=as_ada)
    assert refused.status_code == 403
    assert served.client.get("/api/v1/whoami", headers=_bearer(other["secret"])).is_success
    assert served.client.delete(f"/api/v1/tokens/{mine['id']}", headers=as_ada).is_success
    assert served.client.get("/api/v1/whoami", headers=as_ada).status_code == 401


def test_a_domain_owner_issues_tokens_only_to_its_teams_principals_below_it(
    served: Served,
) -> None:
    _team_with_account(served, "execution-team", "execution", "ada")
    _team_with_account(served, "customers-team", "customers", "carl")
    owner = _create(served, {"principal": "ada", "role": "domain-owner"}).json()
    as_owner = {"Authorization": f"Bearer {owner['secret']}"}
    served.client.post(
        "/api/v1/principals",
        json={"name": "exec-bot", "kind": "service-account", "team": "execution-team"},
        headers=served.headers(),
    )

    own = served.client.post(
        "/api/v1/tokens", json={"principal": "exec-bot", "role": "member"}, headers=as_owner
    )
    assert own.status_code == 201, own.text
    for body in (
        {"principal": "carl", "role": "consumer"},  # another domain's team
        {"principal": "exec-bot", "role": "platform-admin"},  # above its own role
        {"principal": "exec-bot", "role": "governance"},
        {"principal": "nobody", "role": "consumer"},  # no account, no team
    ):
        refused = served.client.post("/api/v1/tokens", json=body, headers=as_owner)
        assert refused.status_code == 403, body
        assert "'ada' may not create" in refused.json()["error"]["message"]

    carl = _create(served, {"principal": "carl", "role": "member"}).json()
    listed = {t["id"] for t in served.client.get("/api/v1/tokens", headers=as_owner).json()}
    assert listed == {owner["id"], own.json()["id"]}
    assert served.client.delete(f"/api/v1/tokens/{carl['id']}", headers=as_owner).status_code == 403
    revoked = served.client.delete(f"/api/v1/tokens/{own.json()['id']}", headers=as_owner)
    assert revoked.status_code == 200
    assert (
        served.client.get("/api/v1/whoami", headers=_bearer(own.json()["secret"])).status_code
        == 401
    )


def test_the_eleventh_bad_token_in_a_minute_gets_429_and_each_failure_is_logged(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    served.client.app.state.streammesh_failed_sign_ins = FailedSignIns()  # type: ignore[attr-defined]
    bad = _bearer("sm_guessed-token-value")
    with caplog.at_level(logging.WARNING, logger="streammesh.server.auth"):
        for _ in range(10):
            assert served.client.get("/api/v1/whoami", headers=bad).status_code == 401
        limited = served.client.get("/api/v1/whoami", headers=bad)
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "too-many-failed-sign-ins"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    failures = [r.getMessage() for r in caplog.records if "failed sign-in" in r.getMessage()]
    assert len(failures) == 10
    assert all("testclient" in line for line in failures)
    assert not any("guessed-token-value" in line for line in failures)
    # The address is held off even with a valid token until the window passes...
    assert served.client.get("/api/v1/whoami", headers=served.headers()).status_code == 429
    # ... but requests without credentials are not sign-ins and are not counted.
    assert served.client.get("/healthz").status_code == 200
