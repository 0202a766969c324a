"""Explore's result cards, the product page (field table, masked recent events, deprecation
banner, version switcher, client snippets), its monitoring charts, the phone layout and the
UI's page for an internal error, in a real headless Chromium against a real
``streammesh up`` of its own.

The mesh: ``sales.orders`` v1 (three events, a PII field, consumer ``orders-audit`` one
event in, a grant without classified fields for ``ledger-app`` of team ``finance-team``)
deprecated in favour of ``sales.orders.v2``.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

import httpx
import pytest

from streammesh.access import AccessService, Caller
from streammesh.config import MeshConfig
from streammesh.identity import AccountKind, Role, TokenStore
from streammesh.runtime import MeshRuntime
from streammesh.sdk import Mesh
from streammesh.server import build_app
from streammesh.server.context import ServerContext
from tests.browser.conftest import ARTIFACTS, CHROMIUM, expect_errors, shot, sign_in
from tests.support.streammesh_server import StreammeshServer
from tests.unit.cli.invoking import invoke_cli

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed at /usr/bin/chromium "
    "(apt-get install chromium; .ci/run does it)",
)
sync_api = pytest.importorskip("playwright.sync_api", reason="the dev extra's playwright")
PRODUCT = "sales.orders"
SUNSET = date.today() + timedelta(days=60)


@pytest.fixture(scope="module")
def catalog(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[StreammeshServer, dict[str, str]]]:
    """The server over the mesh above, and the tokens of ``sam`` (owner) and ``fiona``."""
    root = tmp_path_factory.mktemp("catalog")
    assert invoke_cli("init", "sales", "--dir", str(root / "repo")).exit_code == 0
    folder = root / "repo" / "sales"
    first = (folder / "orders.yaml").read_text(encoding="utf-8")
    first = first.replace("status: draft", "status: published")
    (folder / "orders.yaml").write_text(first, encoding="utf-8")
    second = first.replace("version: 1  ", "version: 2  ")
    assert second != first
    (folder / "orders_v2.yaml").write_text(second, encoding="utf-8")
    home = root / "mesh"
    with Mesh.open(home, actor="owner") as operator:
        operator.apply([folder])
        with operator.producer(f"{PRODUCT}.v1") as producer:
            for number in range(3):
                producer.send(
                    {
                        "orders_id": f"o-{number}",
                        "customer_email": f"user{number}@example.com",
                        "status": "placed",
                        "updated_at": datetime(2026, 11, 23, tzinfo=UTC),
                    }
                )
        with operator.consumer(f"{PRODUCT}.v1", "orders-audit") as reader:
            assert reader.poll(10.0) is not None
            reader.commit()
        local = operator.local
        access = AccessService(local.store, local.plane)
        local.plane.register_team(
            "finance-team", domain=None, email=None, description=None, actor="admin"
        )
        for name, kind, team in [
            ("ledger-app", AccountKind.SERVICE_ACCOUNT, "finance-team"),
            ("fiona", AccountKind.USER, "finance-team"),
            ("sam", AccountKind.USER, "sales-team"),
        ]:
            access.create_account(name, kind, team=team, description="", actor="admin")
        admin = Caller("admin", Role.PLATFORM_ADMIN)
        asked = access.request(
            f"{PRODUCT}.v1", "ledger-app", purpose="ledger", classified=False, caller=admin
        )
        access.approve(asked.id, caller=admin)
        operator.deprecate(
            f"{PRODUCT}.v1",
            reason="v2 keys orders by region",
            sunset=SUNSET,
            replacement=f"{PRODUCT}.v2",
        )
        tokens = TokenStore(local.store)
        secrets = {
            "fiona": tokens.create("fiona", Role.CONSUMER).secret,
            "sam": tokens.create("sam", Role.DOMAIN_OWNER).secret,
        }
    with StreammeshServer(home) as running:
        yield running, secrets


def watched(page: object) -> list[str]:
    """Console errors, uncaught exceptions and failed requests of ``page`` from now on."""
    problems: list[str] = []

    def console(message: object) -> None:
        if message.type == "error":  # type: ignore[attr-defined]
            problems.append(f"console: {message.text}")  # type: ignore[attr-defined]

    def response(answer: object) -> None:
        if answer.status >= 400:  # type: ignore[attr-defined]
            problems.append(f"HTTP {answer.status} for {answer.url}")  # type: ignore[attr-defined]

    page.on("console", console)  # type: ignore[attr-defined]
    page.on("response", response)  # type: ignore[attr-defined]
    page.on("pageerror", lambda error: problems.append(f"exception: {error}"))  # type: ignore[attr-defined]
    return problems


def test_explore_cards_show_owner_quality_sla_freshness_rate_and_consumers(
    catalog: tuple[StreammeshServer, dict[str, str]], browser: object
) -> None:
    server, tokens = catalog
    page = sign_in(browser, server.url, tokens["fiona"])
    problems = watched(page)
    expect = sync_api.expect
    page.goto(f"{server.url}/ui/?q=orders&deprecated=true")
    card = page.locator(f".hit[data-product='{PRODUCT}.v1']")
    expect(card.locator("> a")).to_have_text(f"{PRODUCT}.v1")
    expect(card.locator("[data-testid=owner]")).to_have_text("Ada Lovelace, team sales-team")
    expect(card.locator("[data-testid=domain]")).to_have_text("sales")
    expect(card.locator("[data-testid=quality]")).to_have_text("raw")
    expect(card.locator("[data-testid=sla]")).to_have_text("tier 3")
    expect(card.locator("[data-testid=freshness]")).to_have_text(
        re.compile(r"^last event (just now|\d+ (s|min|h) ago)$")
    )
    # The exact time of the newest event is on hover.
    expect(card.locator("[data-testid=freshness] time")).to_have_attribute(
        "title", re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")
    )
    expect(card.locator("[data-testid=rate]")).to_have_text(re.compile(r"^\d+\.\d\d$"))
    expect(card.locator("[data-testid=consumers]")).to_have_text("1")
    expect(card.locator(".tag")).to_have_text(["example"])
    # A version nobody writes to or reads yet says so.
    fresh = page.locator(f".hit[data-product='{PRODUCT}.v2']")
    expect(fresh.locator("[data-testid=freshness]")).to_have_text("no event yet")
    expect(fresh.locator("[data-testid=consumers]")).to_have_text("0")
    shot(page, "20-explore-cards")
    assert problems == []


def test_product_page_fields_masked_events_deprecation_versions_and_snippets(
    catalog: tuple[StreammeshServer, dict[str, str]], browser: object
) -> None:
    server, tokens = catalog
    page = sign_in(browser, server.url, tokens["fiona"])
    problems = watched(page)
    expect = sync_api.expect
    page.goto(f"{server.url}/ui/products/{PRODUCT}.v1")

    banner = page.locator("[data-testid=deprecation]")
    expect(banner.locator("h2")).to_contain_text("Deprecated since")
    expect(banner.locator("[data-testid=deprecation-reason]")).to_have_text(
        "v2 keys orders by region"
    )
    expect(banner.locator("[data-testid=sunset] time")).to_have_attribute(
        "datetime", SUNSET.isoformat()
    )
    versions = page.locator("[data-testid=versions]")
    expect(versions.locator("[aria-current=page]")).to_contain_text("v1")
    expect(versions.locator("a")).to_have_text([re.compile(r"^v2\s+published$")])
    # A deprecated product takes no new consumers: no form to ask for it.
    expect(page.locator("#request-access form")).to_have_count(0)
    expect(page.locator("[data-testid=no-new-consumers]")).to_contain_text(f"{PRODUCT}.v2")

    fields = page.locator("#fields table.fields")
    email = fields.locator("tr[data-field=customer_email]")
    expect(email.locator("td")).to_have_text(["string", "yes", "", "pii", "Who to contact (PII)."])
    expect(fields.locator("tr[data-field=orders_id] [data-testid=key-marker]")).to_be_visible()
    expect(fields.locator("[data-testid=key-marker]")).to_have_count(1)
    raw = page.locator("[data-testid=raw-schema]")
    expect(raw).to_be_hidden()
    page.click("#fields summary")
    expect(raw).to_be_visible()
    expect(raw).to_contain_text('"name": "Orders"')

    events = page.locator("#events")
    expect(events.locator("thead th")).to_have_text(
        ["time", "partition/offset", "key", "orders_id", "customer_email", "status", "updated_at"]
    )
    expect(events.locator("tbody tr")).to_have_count(3)
    expect(events.locator("td[data-testid=masked]")).to_have_count(3)
    expect(events.locator("td[data-testid=masked]").first).to_have_text(re.compile(r"pii$"))
    expect(events.locator("tbody")).to_contain_text("placed")
    expect(events).not_to_contain_text("***")
    expect(events).not_to_contain_text("@example.com")
    expect(events.locator("[data-testid=masking-note]")).to_contain_text("customer_email (pii)")
    expect(events.locator("td[data-testid=masked] svg[aria-label=masked]")).to_have_count(3)
    # Times read as people read them, the exact value on hover.
    expect(page.locator("#consumers")).to_contain_text(
        re.compile(r"last seen (just now|\d+ (s|min) ago)")
    )

    expect(page.locator("[data-testid=snippet-cli]")).to_contain_text(
        f"streammesh consume {PRODUCT}.v1 --server {server.url}"
    )
    page.click("#connect summary:text-is('REST API (curl)')")
    expect(page.locator("[data-testid=snippet-curl]")).to_contain_text(
        f"{server.url}/api/v1/products/{PRODUCT}.v1/sample?limit=10"
    )
    shot(page, "21-product-deprecated")

    banner.locator("[data-testid=replacement]").click()
    page.wait_for_url(f"**/ui/products/{PRODUCT}.v2")
    expect(page.locator("h1")).to_contain_text(f"{PRODUCT}.v2")
    expect(page.locator("[data-testid=deprecation]")).to_have_count(0)
    expect(page.locator("#request-access form")).to_have_count(1)
    expect(versions.locator("[aria-current=page]")).to_contain_text("v2")
    assert problems == []


def test_monitoring_charts_have_axes_units_values_and_explain_unchecked_objectives(
    catalog: tuple[StreammeshServer, dict[str, str]], browser: object
) -> None:
    server, tokens = catalog
    page = sign_in(browser, server.url, tokens["sam"])
    problems = watched(page)
    expect = sync_api.expect
    page.goto(f"{server.url}/ui/products/{PRODUCT}.v1#health")
    health = page.locator("#health")
    expect(health.locator("[data-testid=last-event]")).to_have_text(
        re.compile(r"^(just now|\d+ (s|min) ago)$")
    )

    chart = health.locator("svg[data-testid=rate-chart]")
    expect(chart.locator("rect")).to_have_count(12)
    expect(chart.locator("text.unit")).to_have_text(
        ["events/s", "minutes ago, five-minute buckets"]
    )
    expect(chart.locator("text.y-tick")).to_have_text(["0.01", "0.005", "0"])
    expect(chart.locator("text.x-tick").last).to_have_text("now")
    # The three events of the fixture are in the newest bucket: 3 per 300 s.
    expect(chart.locator("text.value")).to_have_text(["0.01"])
    health.locator("summary", has_text="Events/s over the last hour as a table").click()
    expect(health.locator("table.rate-table tbody tr").last).to_have_text(
        re.compile(r"now\s*0\.01")
    )

    lag = health.locator("svg.lag-chart")
    expect(lag.locator("g[data-group=orders-audit]")).to_contain_text("2")
    expect(lag.locator("text.unit")).to_have_text("events")

    # Lag over time: the SLO checker samples it as the server starts, then once a minute.
    history = health.locator("svg[data-testid=lag-history]")
    deadline = time.monotonic() + 20
    while not history.count() and time.monotonic() < deadline:
        page.reload()
    expect(history.locator("g[data-series=orders-audit] circle").first).to_be_attached()
    expect(history.locator("text.y-tick")).to_have_text(["2", "1", "0"])
    expect(history.locator("text.x-tick")).to_have_text(
        ["-60 min", "-45 min", "-30 min", "-15 min", "now"]
    )
    expect(history.locator("text.unit")).to_have_text(
        ["events behind", "minutes ago, a sample a minute"]
    )
    expect(health.locator(".legend li[data-series=orders-audit]")).to_contain_text(
        "orders-audit: 2 behind at"
    )

    # A compacted state stream with no availability target: nothing is judged, and the
    # page says why instead of "not checked yet".
    freshness = health.locator("li[data-slo=freshness]")
    expect(freshness).to_contain_text("target 15m")
    expect(freshness.locator("[data-testid=slo-reason]")).to_contain_text("state stream")
    expect(health.locator("li[data-slo=availability] [data-testid=slo-reason]")).to_have_text(
        "the contract sets no availability target"
    )
    shot(page, "22-product-monitoring")
    health.screenshot(path=str(ARTIFACTS / "22-product-monitoring-panel.png"))
    assert problems == []


PAGES = [
    "/ui/",
    f"/ui/products/{PRODUCT}.v1",
    "/ui/publish",
    "/ui/streams",
    "/ui/streams/-/new",
    "/ui/connectors",
    "/ui/access",
    f"/ui/lineage?product={PRODUCT}",
    "/ui/governance",
    "/ui/activity",
    "/ui/notifications",
]
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def test_every_page_fits_a_phone_with_a_collapsed_menu_and_tables_scrolling_in_their_card(
    catalog: tuple[StreammeshServer, dict[str, str]], browser: object
) -> None:
    server, tokens = catalog
    phone = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = phone.new_page()
    problems = watched(page)
    expect = sync_api.expect
    page.goto(f"{server.url}/")
    page.fill("input[name=token]", tokens["sam"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/ui/")

    overflowing = {}
    for path in PAGES:
        page.goto(f"{server.url}{path}")
        wider = page.evaluate(OVERFLOW)
        if wider > 0:
            overflowing[path] = wider
    assert overflowing == {}, f"pages wider than the phone (px): {overflowing}"

    page.goto(f"{server.url}/ui/products/{PRODUCT}.v1")
    # The events table is wider than the phone: it scrolls inside its card.
    table = page.locator("#events .table-scroll")
    assert table.evaluate("box => box.scrollWidth > box.clientWidth")
    card = page.locator("#events").bounding_box()
    assert card is not None and card["x"] >= 0 and card["x"] + card["width"] <= 390
    shot(page, "23-phone-product")

    # The navigation collapses behind a Menu button, which opens it (keyboard too).
    toggle = page.get_by_role("button", name="Menu")
    links = page.locator("header nav a", has_text="Lineage")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(links).to_be_hidden()
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(links).to_be_visible()
    shot(page, "24-phone-menu")
    links.click()
    page.wait_for_url("**/ui/lineage")
    expect(page.get_by_role("button", name="Menu")).to_have_attribute("aria-expanded", "false")
    phone.close()

    # At 1,920 px the menu is a row of links, no button, and nothing runs off-screen either.
    wide = browser.new_context(viewport={"width": 1920, "height": 1080})  # type: ignore[attr-defined]
    desk = wide.new_page()
    desk.goto(f"{server.url}/")
    desk.fill("input[name=token]", tokens["sam"])
    desk.click("button[type=submit]")
    desk.wait_for_url(f"{server.url}/ui/")
    expect(desk.get_by_role("button", name="Menu")).to_be_hidden()
    expect(desk.locator("header nav a", has_text="Lineage")).to_be_visible()
    wider_desk = {}
    for path in PAGES:
        desk.goto(f"{server.url}{path}")
        if desk.evaluate(OVERFLOW) > 0:
            wider_desk[path] = desk.evaluate(OVERFLOW)
    assert wider_desk == {}, f"pages wider than 1,920 px: {wider_desk}"
    wide.close()
    assert problems == []


class _BrokenRegistry:
    """A schema registry whose every call fails the way a bug would (not a MeshError)."""

    def __getattr__(self, name: str) -> Any:
        def fail(*_args: object, **_kwargs: object) -> NoReturn:
            raise KeyError("secret internal detail")

        return fail


@pytest.fixture
def broken(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A real server (uvicorn on a loopback port, in a thread of this process so the test
    sees its log) over a mesh with one product whose registry fails; its URL and a token."""
    assert invoke_cli("init", "sales", "--dir", str(tmp_path / "repo")).exit_code == 0
    descriptor = tmp_path / "repo" / "sales" / "orders.yaml"
    descriptor.write_text(
        descriptor.read_text(encoding="utf-8").replace("status: draft", "status: published"),
        encoding="utf-8",
    )
    home = tmp_path / "mesh"
    with Mesh.open(home, actor="owner") as operator:
        operator.apply([tmp_path / "repo" / "sales"])
    uvicorn = pytest.importorskip("uvicorn")
    with MeshRuntime.open(MeshConfig.load(home)) as runtime:
        secret = runtime.tokens().create("tester", Role.PLATFORM_ADMIN).secret
        failing = dataclasses.replace(runtime, registry=_BrokenRegistry())  # type: ignore[arg-type]
        app = build_app(ServerContext(failing, failing.tokens()))
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
        )
        thread = threading.Thread(target=server.run, name="ui-500-server", daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline, "the server did not start in 20 s"
            time.sleep(0.02)
        try:
            yield f"http://127.0.0.1:{port}", secret
        finally:
            server.should_exit = True
            thread.join(20)


def test_a_failure_inside_the_ui_shows_a_page_with_a_reference_that_is_logged(
    broken: tuple[str, str], browser: object, caplog: pytest.LogCaptureFixture
) -> None:
    url, token = broken
    caplog.set_level(logging.ERROR, logger="streammesh.server")
    expect_errors(browser, f"{url}/ui/products/{PRODUCT}.v1")  # the 500 page, on purpose
    page = sign_in(browser, url, token)
    exceptions: list[str] = []
    page.on("pageerror", lambda error: exceptions.append(str(error)))  # type: ignore[attr-defined]
    expect = sync_api.expect

    answer = page.goto(f"{url}/ui/products/{PRODUCT}.v1")  # type: ignore[attr-defined]
    assert answer is not None and answer.status == 500
    expect(page.locator("h1")).to_have_text("Something went wrong")
    reference = page.locator("[data-testid=reference]").inner_text()  # type: ignore[attr-defined]
    assert re.fullmatch(r"[0-9a-f]{12}", reference)
    content = page.content()  # type: ignore[attr-defined]
    assert "Traceback" not in content and "secret internal detail" not in content
    assert "KeyError" not in content
    # The navigation is there, and Try again asks for the same page.
    expect(page.locator("header nav a", has_text="Explore")).to_be_visible()
    expect(page.get_by_role("link", name="Try again")).to_have_attribute(
        "href", f"/ui/products/{PRODUCT}.v1"
    )
    shot(page, "25-ui-500")

    # The log has the reference with the traceback, so a user's report leads to it.
    logged = [r for r in caplog.records if reference in r.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info is not None
    assert "secret internal detail" in caplog.text

    # A form sent with a stale CSRF token is refused with a page too, not JSON.
    stale = page.request.post(  # type: ignore[attr-defined]
        f"{url}/ui/products/{PRODUCT}.v1/access-requests",
        form={"application": "ledger-app", "purpose": "x", "csrf": "stale"},
    )
    assert stale.status == 403
    assert stale.headers["content-type"].startswith("text/html")
    assert "Not allowed" in stale.text() and "reload it" in stale.text()

    # The API's JSON names a reference of its own the same way.
    api = httpx.get(f"{url}/registry/schemas/types", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 500
    named = re.search(r"reference ([0-9a-f]{12})", api.json()["message"])
    assert named is not None and named.group(1) in caplog.text
    assert exceptions == []
