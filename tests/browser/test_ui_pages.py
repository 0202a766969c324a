"""The product page's throughput panel, the lineage graph, the notifications inbox and the
publish page, in a real headless Chromium against a real ``streammesh up``.

Uses the suite's shared mesh, server and browser (``tests/browser/conftest.py``);
screenshots go to ``test-artifacts/browser/``.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.browser.conftest import CHROMIUM, PRODUCT, shot, sign_in
from tests.support.streammesh_server import StreammeshServer

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed at /usr/bin/chromium "
    "(apt-get install chromium; .ci/run does it)",
)
sync_api = pytest.importorskip("playwright.sync_api", reason="the dev extra's playwright")
REFERENCE = f"{PRODUCT}.v1"


def test_product_page_shows_throughput_lag_and_freshness(
    server: StreammeshServer, mesh: tuple[Path, dict[str, str]], browser: object
) -> None:
    owner = sign_in(browser, server.url, mesh[1]["sam"])
    owner.goto(f"{server.url}/ui/products/{REFERENCE}")
    expect = sync_api.expect
    health = owner.locator("#health")
    expect(health.locator("svg.bars-v rect")).to_have_count(12)
    expect(health.locator("[data-testid=last-event]")).not_to_contain_text("none yet")
    expect(health).to_contain_text("End offsets")
    expect(health.locator("g[data-group=orders-audit]")).to_contain_text("2")
    expect(health.locator("table.lag")).to_contain_text("2 behind")
    shot(owner, "6-product-health")


def test_lineage_graph_is_drawn_and_links_to_product_pages(
    server: StreammeshServer, mesh: tuple[Path, dict[str, str]], browser: object
) -> None:
    viewer = sign_in(browser, server.url, mesh[1]["fiona"])
    viewer.click("nav a:has-text('Lineage')")
    expect = sync_api.expect
    graph = viewer.locator("#lineage-graph svg.lineage")
    expect(graph).to_be_visible()
    expect(viewer.locator(".lineage-fallback")).to_be_hidden()
    product = graph.locator(f"g[data-node='product:{REFERENCE}']")
    consumer = graph.locator("g[data-node='application:orders-audit']")
    expect(consumer).to_be_visible()
    # Columns by depth: the consuming application sits right of the product it reads.
    assert consumer.bounding_box()["x"] > product.bounding_box()["x"]  # type: ignore[index]
    shot(viewer, "7-lineage")

    viewer.goto(f"{server.url}/ui/lineage?product={PRODUCT}")
    expect(graph.locator(f"g.center[data-node='product:{REFERENCE}']")).to_be_visible()
    graph.locator(f"a:has(g[data-node='product:{REFERENCE}'])").click()
    viewer.wait_for_url(f"**/ui/products/{REFERENCE}")
    expect(viewer.locator("h1")).to_contain_text(REFERENCE)

    viewer.goto(f"{server.url}/ui/lineage?product=no.such.product")
    assert "no data product" in viewer.content()


def test_notifications_inbox_lists_and_marks_read(
    server: StreammeshServer, mesh: tuple[Path, dict[str, str]], browser: object
) -> None:
    token = mesh[1]["sam"]
    api = httpx.Client(
        base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {token}"}
    )
    with api:
        made = api.post(
            "/subscriptions", json={"scope": "product", "target": PRODUCT, "inbox": True}
        )
        assert made.status_code == 201, made.text
        incident = api.post(
            f"/products/{REFERENCE}/incidents", json={"message": "late orders from the shop"}
        )
        assert incident.status_code == 201, incident.text
        deadline = time.monotonic() + 20
        while not any("late orders" in i["body"] for i in api.get("/inbox").json()):
            assert time.monotonic() < deadline, "the notifier delivered nothing to the inbox"
            time.sleep(0.3)

    owner = sign_in(browser, server.url, token)
    owner.click("nav a:has-text('Notifications')")
    expect = sync_api.expect
    notice = owner.locator(".notice", has_text="late orders from the shop")
    expect(notice).to_contain_text("unread")
    shot(owner, "8-notifications")
    notice.locator("button:has-text('Mark read')").click()
    expect(owner.locator(".message")).to_contain_text("Marked read")
    expect(owner.locator(".notice", has_text="late orders from the shop")).not_to_contain_text(
        "unread"
    )
    owner.click("a:has-text('Only unread')")
    expect(owner.locator("main")).not_to_contain_text("late orders from the shop")


def test_publish_plans_then_applies_and_a_consumer_may_only_plan(
    server: StreammeshServer, mesh: tuple[Path, dict[str, str]], browser: object
) -> None:
    owner = sign_in(browser, server.url, mesh[1]["sam"])
    owner.click("nav a:has-text('Publish')")
    owner.select_option("select[name=product]", REFERENCE)
    owner.click("form.search button")
    expect = sync_api.expect
    descriptor = owner.locator("textarea[name=descriptor]")
    expect(descriptor).to_contain_text(f"name: {PRODUCT}")
    text = descriptor.input_value()
    assert "description:" in text
    changed = "\n".join(
        "description: Orders placed in the web shop, as published from the UI."
        if line.startswith("description:")
        else line
        for line in text.splitlines()
    )
    descriptor.fill(changed)
    owner.click("button[value=plan]")
    plan = owner.locator("#plan")
    expect(plan).to_contain_text(REFERENCE)
    expect(owner.locator(".message")).to_contain_text("this is the plan")
    shot(owner, "9-publish-plan")
    owner.click("button[value=apply]")
    expect(owner.locator(".message")).to_contain_text(f"Applied: {REFERENCE}")
    owner.goto(f"{server.url}/ui/products/{REFERENCE}")
    expect(owner.locator(".lead")).to_have_text(
        "Orders placed in the web shop, as published from the UI."
    )

    consumer = sign_in(browser, server.url, mesh[1]["fiona"])
    consumer.goto(f"{server.url}/ui/publish")
    expect(consumer.locator("button[value=plan]")).to_be_visible()
    expect(consumer.locator("button[value=apply]")).to_have_count(0)
    consumer.locator("textarea[name=descriptor]").fill("name: [not, a, descriptor")
    consumer.locator("textarea[name=schema_text]").fill("{}")
    consumer.click("button[value=plan]")
    expect(consumer.locator(".error")).to_be_visible()


def test_apply_and_mark_read_are_refused_without_role_or_csrf_token(
    server: StreammeshServer, mesh: tuple[Path, dict[str, str]], browser: object
) -> None:
    consumer = sign_in(browser, server.url, mesh[1]["fiona"])
    consumer.goto(f"{server.url}/ui/publish")
    csrf = consumer.locator("#publish-form input[name=csrf]").input_value()
    form = {"descriptor": "name: x", "schema_text": "{}", "action": "apply"}
    # The session cookie goes along (same browser context); the role does not allow it.
    refused = consumer.request.post(f"{server.url}/ui/publish", form={**form, "csrf": csrf})
    assert refused.status == 403
    assert "may plan but not apply" in refused.text()
    forged = consumer.request.post(f"{server.url}/ui/publish", form={**form, "csrf": "x"})
    assert forged.status == 403
    unread = consumer.request.post(f"{server.url}/ui/notifications/1/read", form={"csrf": ""})
    assert unread.status == 403
