"""The access page in process (a ``TestClient`` signed in through the sign-in form): the
classified fields a request would reveal, approve with an expiry, the active grants per
product and per application with revoke, and the history of decided requests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from streammesh.identity import Role, TokenStore
from streammesh.store import open_store
from tests.integration.api_v1_support import Served, avro, descriptor, serve, sources
from tests.integration.test_ui_explore_and_not_found import _sign_in

TRADES = "execution.stocktrades"
PRICES = "execution.prices"


@pytest.fixture
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    for running in serve(tmp_path_factory.mktemp("ui") / "mesh"):
        admin = running.headers()
        applied = running.client.post(
            "/api/v1/apply",
            headers=admin,
            json=sources(
                (descriptor(TRADES), avro()),
                (descriptor(PRICES, extra="classifications: {price: [confidential]}\n"), avro()),
            ),
        )
        assert applied.status_code == 200, applied.text
        made = running.client.post(
            "/api/v1/principals",
            headers=admin,
            json={"name": "pricer", "kind": "service-account", "team": "execution-team"},
        )
        assert made.status_code == 201, made.text
        with open_store(f"sqlite:///{running.mesh / 'meta.db'}") as store:
            pricer = TokenStore(store).create("pricer", Role.CONSUMER).secret
        for product, classified in ((PRICES, True), (TRADES, False)):
            asked = running.client.post(
                "/api/v1/access/requests",
                headers={"Authorization": f"Bearer {pricer}"},
                json={
                    "product": product,
                    "application": "pricer",
                    "purpose": "quotes",
                    "classified": classified,
                },
            )
            assert asked.status_code == 201, asked.text
        _sign_in(running.client, running.tokens[Role.PLATFORM_ADMIN])
        yield running


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def _message(page: str) -> str:
    found = re.search(r'<p class="message" role="status">([^<]*)</p>', page)
    return found.group(1).replace("&#39;", "'") if found else ""


def _section(page: str, name: str) -> str:
    found = re.search(rf'<section class="card" id="{name}".*?</section>', page, re.S)
    assert found is not None, f"no section {name}"
    return found.group(0)


def test_approve_with_an_expiry_then_revoke_and_see_the_history(served: Served) -> None:
    client = served.client
    page = client.get("/ui/access").text
    pending = dict(re.findall(r'data-request="([^"]+)">\s*<h3><a [^>]*>([^<]+)</a>', page))
    by_product = {ref: request_id for request_id, ref in pending.items()}
    # The trades request was auto-approved (no classified field): only prices is pending.
    assert list(by_product) == [f"{PRICES}.v1"]
    exposes = re.search(r'data-testid="exposes">(.*?)</p>', page, re.S)
    assert exposes is not None
    assert "Approving reveals <code>price</code>" in exposes.group(1)
    assert "confidential" in exposes.group(1)
    assert re.search(r"asked by pricer <time datetime=\"[^\"]+\" title=", page)

    request_id = by_product[f"{PRICES}.v1"]
    csrf = _csrf(page)
    for bad, why in (
        ("next tuesday", "the expiry 'next tuesday' is not a date (YYYY-MM-DD)"),
        ("2020-01-01", "the expiry 2020-01-01 is not after today"),
    ):
        refused = client.post(
            f"/ui/access/{request_id}",
            data={"csrf": csrf, "decision": "approve", "expires": bad},
        )
        assert _message(refused.text) == f"Not decided: {why}"
        assert f'data-request="{request_id}"' in refused.text  # still pending

    day = (datetime.now(UTC) + timedelta(days=30)).date()
    approved = client.post(
        f"/ui/access/{request_id}",
        data={"csrf": csrf, "decision": "approve", "expires": day.isoformat(), "note": "ok"},
    )
    end = day + timedelta(days=1)
    assert _message(approved.text) == (
        f"'pricer' on '{PRICES}.v1': approved until {end.isoformat()} 00:00 UTC."
    )
    grants = _section(approved.text, "grants")
    assert grants.count("<tr data-grant=") == 2
    expiry = re.search(
        rf'{PRICES}\.v1</a></td>.*?data-testid="expires"><time datetime="([^"]+)" '
        r'title="[^"]+">([^<]+)</time>',
        grants,
        re.S,
    )
    assert expiry is not None
    assert expiry.groups() == (f"{end.isoformat()}T00:00:00+00:00", f"{end.isoformat()} 00:00 UTC")
    assert "until revoked" in grants  # the auto-approved trades grant

    # Per product: only that product's grants.
    one = _section(client.get("/ui/access", params={"product": TRADES}).text, "grants")
    assert one.count("<tr data-grant=") == 1 and f"{TRADES}.v1" in one

    revoked = client.post(f"/ui/access/grants/{request_id}/revoke", data={"csrf": csrf})
    assert _message(revoked.text) == f"'pricer' on '{PRICES}.v1': revoked."
    assert _section(revoked.text, "grants").count("<tr data-grant=") == 1
    history = _section(revoked.text, "history")
    states = re.findall(
        r'<td>([^<]+)</td><td>pricer</td><td><span class="badge state-(\w+)"', history
    )
    assert sorted(states) == [(f"{PRICES}.v1", "revoked"), (f"{TRADES}.v1", "approved")]
    assert "by platform-admin-user" in history

    stale = client.post(f"/ui/access/grants/{request_id}/revoke", data={"csrf": "nope"})
    assert stale.status_code == 403
