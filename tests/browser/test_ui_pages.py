"""The product page's throughput panel, the lineage graph, the notifications inbox and the
publish page, in a real headless Chromium against a real ``streammesh up``.

Uses the suite's shared mesh, server and browser (``tests/browser/conftest.py``);
screenshots go to ``test-artifacts/browser/``.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import httpx
import pytest

from tests.browser.conftest import CHROMIUM, PRODUCT, expect_errors, shot, sign_in
from tests.support.streammesh_server import StreammeshServer
from tests.unit.cli.invoking import invoke_cli

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
    # The same data stays on the page as a list, folded under the drawing.
    expect(viewer.locator(".lineage-fallback")).not_to_have_attribute("open", "")
    fallback = viewer.locator(".lineage-fallback tbody")
    expect(fallback).to_contain_text("consumes · lag 2")
    product = graph.locator(f"g[data-node='product:{REFERENCE}']")
    consumer = graph.locator("g[data-node='application:orders-audit']")
    expect(consumer).to_be_visible()
    # Columns by depth: the consuming application sits right of the product it reads.
    assert consumer.bounding_box()["x"] > product.bounding_box()["x"]  # type: ignore[index]
    # Edges are arrows, labelled with their kind and a consumer's lag (two events behind).
    edge = graph.locator(f"path[data-edge='product:{REFERENCE}>application:orders-audit']")
    expect(edge).to_have_attribute("marker-end", "url(#lineage-arrow)")
    expect(graph.locator("text.edge-label", has_text="consumes · lag 2")).to_be_visible()
    shot(viewer, "7-lineage")

    viewer.goto(f"{server.url}/ui/lineage?product={PRODUCT}")
    expect(graph.locator(f"g.center[data-node='product:{REFERENCE}']")).to_be_visible()
    # The Impact tab answers what `streammesh lineage impact` answers.
    viewer.click("[data-testid=impact-tab]")
    expect(viewer.locator("#impact")).to_contain_text(f"Downstream of {REFERENCE}")
    listed = viewer.eval_on_selector_all(
        "#impact tbody tr[data-dependent]",
        "rows => rows.map(row => [...row.cells].map(cell => cell.innerText.trim()))",
    )
    cli = invoke_cli(
        "lineage", "impact", PRODUCT, "--json", "--server", server.url, "--token", mesh[1]["fiona"]
    )
    assert cli.exit_code == 0, cli.stderr
    expected = [
        [str(item["depth"]), item["kind"], item["name"], item["team"] or "", item["contact"] or ""]
        for item in json.loads(cli.stdout)["dependents"]
    ]
    assert listed == expected and expected
    shot(viewer, "7-lineage-impact")

    viewer.goto(f"{server.url}/ui/lineage?product={PRODUCT}")
    graph.locator(f"a:has(g[data-node='product:{REFERENCE}'])").click()
    viewer.wait_for_url(f"**/ui/products/{REFERENCE}")
    expect(viewer.locator("h1")).to_contain_text(REFERENCE)

    missing = f"{server.url}/ui/lineage?product=no.such.product"
    expect_errors(browser, missing)
    viewer.goto(missing)
    assert "no data product" in viewer.content()


def test_subscribe_from_the_ui_receive_a_notification_and_unsubscribe(
    server: StreammeshServer, mesh: tuple[Path, dict[str, str]], browser: object
) -> None:
    token = mesh[1]["sam"]
    owner = sign_in(browser, server.url, token)
    owner.click("nav a:has-text('Notifications')")
    expect = sync_api.expect
    badge = owner.locator("[data-testid=unread-count]")
    # Other tests of the session may have left the team unread items (access requests).
    before = int(badge.inner_text()) if badge.count() else 0
    form = owner.locator("form.subscribe")
    form.get_by_label("a product").check()
    form.get_by_label("Product or domain").fill(PRODUCT)
    form.get_by_label("incident.declared").check()
    form.get_by_label("inbox").check()
    form.get_by_role("button", name="Subscribe").click()
    expect(owner.locator(".message")).to_contain_text(f"Subscribed to product {PRODUCT}")
    subscription = owner.locator("#subscriptions tr[data-subscription]", has_text=PRODUCT)
    expect(subscription).to_contain_text("incident.declared")

    with httpx.Client(
        base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {token}"}
    ) as api:
        incident = api.post(
            f"/products/{REFERENCE}/incidents", json={"message": "late orders from the shop"}
        )
        assert incident.status_code == 201, incident.text
        deadline = time.monotonic() + 20
        while not any("late orders" in i["body"] for i in api.get("/inbox").json()):
            assert time.monotonic() < deadline, "the notifier delivered nothing to the inbox"
            time.sleep(0.3)

    # The navigation says there is something unread, on any page.
    owner.click("nav a:has-text('Explore')")
    expect(badge).to_have_text(str(before + 1))
    owner.click("nav a:has-text('Notifications')")
    notice = owner.locator(".notice", has_text="late orders from the shop")
    expect(notice).to_contain_text("unread")
    shot(owner, "8-notifications")
    notice.locator("button:has-text('Mark read')").click()
    expect(owner.locator(".message")).to_contain_text("Marked read")
    expect(owner.locator(".notice", has_text="late orders from the shop")).not_to_contain_text(
        "unread"
    )
    if before:
        expect(badge).to_have_text(str(before))
    else:
        expect(badge).to_have_count(0)
    owner.click("a:has-text('Only unread')")
    expect(owner.locator("main")).not_to_contain_text("late orders from the shop")

    owner.locator("#subscriptions tr[data-subscription]", has_text=PRODUCT).get_by_role(
        "button", name="Unsubscribe"
    ).click()
    expect(owner.locator(".message")).to_contain_text(f"Unsubscribed from product {PRODUCT}")
    expect(owner.locator("#subscriptions")).to_contain_text("No subscription yet.")


def test_publish_from_the_guided_form_download_the_yaml_and_apply(
    server: StreammeshServer, mesh: tuple[Path, dict[str, str]], browser: object
) -> None:
    owner = sign_in(browser, server.url, mesh[1]["sam"])
    owner.click("nav a:has-text('Publish')")
    expect = sync_api.expect
    # The template: a new product described in the form, the YAML written beside it.
    for field, value in {
        "name": "sales.returns",
        "description": "Orders sent back by customers, one event per return.",
        "owner_name": "Sam Seller",
        "owner_email": "sam@example.com",
        "team": "sales-team",
        "key_field": "return_id",
    }.items():
        owner.get_by_label(re.compile(LABELS[field])).fill(value)
    owner.select_option("select[name=kind]", "notification")
    owner.select_option("select[name=sla_tier]", "2")
    owner.click("button[value=compose]")
    descriptor = owner.locator("textarea[name=descriptor]")
    expect(descriptor).to_contain_text("name: sales.returns")
    expect(descriptor).to_contain_text("kind: notification")
    expect(owner.locator("textarea[name=schema_text]")).to_contain_text('"return_id"')
    expect(owner.locator("#plan")).to_contain_text("sales.returns.v1")
    expect(owner.locator(".message")).to_contain_text("this is the plan")
    shot(owner, "9-publish-plan")
    with owner.expect_download() as download:
        owner.click("button[value=download]")
    assert download.value.suggested_filename == "returns.yaml"
    assert "name: sales.returns" in Path(download.value.path()).read_text(encoding="utf-8")
    owner.click("button[value=apply]")
    expect(owner.locator(".message")).to_contain_text("Applied: sales.returns.v1")
    owner.goto(f"{server.url}/ui/products/sales.returns.v1")
    expect(owner.locator(".lead")).to_have_text(
        "Orders sent back by customers, one event per return."
    )

    # Problems come one per line, each with its field and its fix.
    consumer = sign_in(browser, server.url, mesh[1]["fiona"])
    consumer.goto(f"{server.url}/ui/publish")
    expect(consumer.locator("button[value=plan]")).to_be_visible()
    expect(consumer.locator("button[value=apply]")).to_have_count(0)
    consumer.get_by_label(re.compile(LABELS["name"])).fill("finance.refunds")
    consumer.get_by_label(re.compile(LABELS["owner_email"])).fill("fiona@example.com")
    expect_errors(browser, f"{server.url}/ui/publish")  # the refused form answers 422
    consumer.click("button[value=compose]")
    problems = consumer.locator("#problems li")
    expect(consumer.locator("#problems li[data-field='description']")).to_contain_text(
        "description: is required"
    )
    expect(consumer.locator("#problems li[data-field='description']")).to_contain_text("Fix: add")
    expect(consumer.locator("#problems li[data-field='owner.name']")).to_contain_text("Fix: ")
    assert problems.count() >= 3
    shot(consumer, "9-publish-problems")


LABELS = {
    "name": "^Name",
    "description": "^Description",
    "owner_name": "^Owner's name",
    "owner_email": "^Owner's e-mail",
    "team": "^Team",
    "key_field": "^Key field",
}


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
