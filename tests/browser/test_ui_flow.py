"""The web UI in a real headless Chromium against a real ``streammesh up``.

A consumer team's user searches, opens a product with a PII field (its events are not shown
without a grant), asks access for their application; the owning team's user sees which
classified field the grant would reveal and approves it until a day in another browser
session; the consumer then sees the events, the PII field in clear; the owner revokes the
grant and the consumer's events are gone again.
Screenshots of each step are kept under ``test-artifacts/browser/`` (the path is printed).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from streammesh.privacy import MASK_TEXT
from tests.browser.conftest import ARTIFACTS, CHROMIUM, PRODUCT, shot, sign_in
from tests.support.streammesh_server import StreammeshServer

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed at /usr/bin/chromium "
    "(apt-get install chromium; .ci/run does it)",
)
sync_api = pytest.importorskip("playwright.sync_api", reason="the dev extra's playwright")


def test_request_approve_then_unmasked(
    server: StreammeshServer, mesh: tuple[Path, dict[str, str]], browser: object
) -> None:
    print(f"screenshots in {ARTIFACTS}")
    _, tokens = mesh
    consumer = sign_in(browser, server.url, tokens["fiona"])
    expect = sync_api.expect
    consumer.fill("input[name=q]", "orders")
    consumer.click("form.search button")
    shot(consumer, "1-explore")
    expect(consumer.locator("[data-facet=domain]")).to_contain_text("sales")
    consumer.click(f"a:has-text('{PRODUCT}.v1')")
    # No grant yet: the page shows the contract and schema, no events, and how to ask.
    expect(consumer.locator("#events")).to_contain_text("request access")
    expect(consumer.locator("#events")).not_to_contain_text("placed")
    expect(consumer.locator("#events")).not_to_contain_text(MASK_TEXT)
    expect(consumer.locator("#schemas")).to_contain_text("customer_email")
    shot(consumer, "2-product-no-access")

    consumer.select_option("select[name=application]", "ledger-app")
    consumer.fill("input[name=purpose]", "reconcile payments")
    consumer.check("input[name=classified]")
    consumer.click("#request-access button")
    expect(consumer.locator(".message")).to_contain_text("requested")

    owner = sign_in(browser, server.url, tokens["sam"])
    owner.click("nav a:has-text('Access requests')")
    request_card = owner.locator(".request", has_text="ledger-app")
    expect(request_card).to_contain_text("reconcile payments")
    expect(request_card.locator("[data-testid=exposes]")).to_contain_text(
        "Approving reveals customer_email pii"
    )
    shot(owner, "3-inbox")
    request_card.locator("input[name=note]").fill("ok for billing")
    request_card.get_by_label("Expires after").fill("2099-01-31")
    request_card.locator("button[value=approve]").click()
    expect(owner.locator(".message")).to_contain_text("approved until 2099-02-01 00:00 UTC")
    grant = owner.locator("#grants tr[data-grant]", has_text="ledger-app")
    expect(grant.locator("[data-testid=expires] time")).to_have_attribute(
        "title", "2099-02-01T00:00:00+00:00"
    )

    consumer.reload()
    expect(consumer.locator("#events")).to_contain_text("user1@example.com")
    expect(consumer.locator("#consumers")).to_contain_text("ledger-app")
    shot(consumer, "4-product-clear")

    owner.reload()
    grant.get_by_role("button", name="Revoke").click()
    expect(owner.locator(".message")).to_contain_text("revoked")
    expect(owner.locator("#history tr", has_text="ledger-app")).to_contain_text("revoked")
    consumer.reload()
    expect(consumer.locator("#events")).not_to_contain_text("user1@example.com")

    owner.click("nav a:has-text('Activity')")
    expect(owner.locator("main")).to_contain_text("access.approved")
    owner.click("nav a:has-text('Governance')")
    expect(owner.locator("main")).to_contain_text(PRODUCT)
    shot(owner, "5-governance")


def test_pages_need_a_session_and_forms_need_the_csrf_token(server: StreammeshServer) -> None:
    import httpx

    page = httpx.get(f"{server.url}/ui/access", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/ui/sign-in")
    bad = httpx.post(f"{server.url}/ui/sign-in", data={"token": "sm_nope", "csrf": "x"})
    assert bad.status_code == 403
