"""Explore's page links and the UI's not-found page in a real headless Chromium against a
real ``streammesh up`` of its own (23 products: more than one page of results).

Every page visited must leave the browser console free of errors and uncaught exceptions.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.browser.conftest import CHROMIUM, expect_errors, shot, sign_in
from tests.integration.api_v1_support import avro, descriptor, sources
from tests.support.streammesh_server import StreammeshServer

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed at /usr/bin/chromium "
    "(apt-get install chromium; .ci/run does it)",
)
sync_api = pytest.importorskip("playwright.sync_api", reason="the dev extra's playwright")
PRODUCTS = [f"execution.trades{number:02d}" for number in range(23)]


@pytest.fixture(scope="module")
def crowded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreammeshServer]:
    """A server over a mesh of 23 products (two pages of Explore)."""
    with StreammeshServer(tmp_path_factory.mktemp("crowded") / "mesh") as running:
        assert running.admin_token is not None
        applied = httpx.post(
            f"{running.url}/api/v1/apply",
            headers={"Authorization": f"Bearer {running.admin_token}"},
            json=sources(*[(descriptor(name), avro()) for name in PRODUCTS]),
            timeout=60,
        )
        assert applied.status_code == 200, applied.text
        yield running


def _watched(page: object, *expected_404: str) -> list[str]:
    """Console errors, uncaught exceptions and failed requests of ``page`` from now on.

    The documents in ``expected_404`` are asked for on purpose: Chromium logs their 404
    status as a console error, which is the one error allowed (for them only).
    """
    problems: list[str] = []

    def console(message: object) -> None:
        where = message.location.get("url", "")  # type: ignore[attr-defined]
        if message.type == "error" and not (  # type: ignore[attr-defined]
            where in expected_404 and "status of 404" in message.text  # type: ignore[attr-defined]
        ):
            problems.append(f"console: {message.text} at {where}")  # type: ignore[attr-defined]

    def response(answer: object) -> None:
        if answer.status >= 400 and answer.url not in expected_404:  # type: ignore[attr-defined]
            problems.append(f"HTTP {answer.status} for {answer.url}")  # type: ignore[attr-defined]

    def failed(request: object) -> None:
        # A load the browser itself cancelled because the page moved on (the favicon of a
        # page left at once) is not a failure of the server.
        if request.failure != "net::ERR_ABORTED":  # type: ignore[attr-defined]
            problems.append(f"failed: {request.url} ({request.failure})")  # type: ignore[attr-defined]

    page.on("console", console)  # type: ignore[attr-defined]
    page.on("response", response)  # type: ignore[attr-defined]
    page.on("pageerror", lambda error: problems.append(f"exception: {error}"))  # type: ignore[attr-defined]
    page.on("requestfailed", failed)  # type: ignore[attr-defined]
    return problems


def test_explore_pages_reach_every_product(crowded: StreammeshServer, browser: object) -> None:
    assert crowded.admin_token is not None
    page = sign_in(browser, crowded.url, crowded.admin_token)
    problems = _watched(page)
    expect = sync_api.expect
    page.fill("input[name=q]", "trades")
    page.click("form.search button")
    pager = page.locator("nav.pager")
    expect(pager).to_contain_text("Page 1 of 2")
    first = page.locator(".hit > a").all_inner_texts()
    assert len(first) == 20
    shot(page, "10-explore-page-1")

    pager.locator("a[rel=next]").click()
    expect(pager).to_contain_text("Page 2 of 2")
    expect(page.locator("input[name=q]")).to_have_value("trades")
    second = page.locator(".hit > a").all_inner_texts()
    assert sorted(first + second) == [f"{name}.v1" for name in PRODUCTS]
    expect(pager.locator("a[rel=next]")).to_have_count(0)

    pager.locator("a:text-is('1')").click()
    expect(pager).to_contain_text("Page 1 of 2")
    assert page.locator(".hit > a").all_inner_texts() == first
    assert problems == []


def test_unknown_product_and_path_show_a_page_with_navigation(
    crowded: StreammeshServer, browser: object
) -> None:
    assert crowded.admin_token is not None
    page = sign_in(browser, crowded.url, crowded.admin_token)
    unknown_product = f"{crowded.url}/ui/products/exectuion.trades05.v1"
    unknown_path = f"{crowded.url}/ui/no/such/page"
    expect_errors(browser, unknown_product, unknown_path)
    problems = _watched(page, unknown_product, unknown_path)
    expect = sync_api.expect
    answer = page.goto(unknown_product)
    assert answer is not None and answer.status == 404
    expect(page.locator("h1")).to_have_text("Not found")
    expect(page.locator("[data-testid=problem]")).to_contain_text("exectuion.trades05.v1")
    expect(page.locator("nav a:has-text('Explore')")).to_be_visible()
    shot(page, "11-not-found")
    page.locator("[data-testid=suggestion]", has_text="execution.trades05").click()
    page.wait_for_url("**/ui/products/execution.trades05")
    expect(page.locator("h1")).to_contain_text("execution.trades05.v1")

    page.goto(unknown_path)
    expect(page.locator("[data-testid=problem]")).to_contain_text("no page at /ui/no/such/page")
    page.click("nav a:has-text('Explore')")
    page.wait_for_url(f"{crowded.url}/ui/")
    icon = page.request.get(f"{crowded.url}/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert problems == []


def test_filters_show_as_chips_and_an_empty_search_offers_a_near_name(
    crowded: StreammeshServer, browser: object
) -> None:
    assert crowded.admin_token is not None
    page = sign_in(browser, crowded.url, crowded.admin_token)
    problems = _watched(page)
    expect = sync_api.expect
    page.fill("input[name=q]", "trades0")
    page.click("form.search button")
    tags = page.locator("[data-facet=tags]")
    tags.locator("a", has_text="trading").click()
    tags.locator("a", has_text="equities").click()
    chips = page.locator(".chips .chip-label")
    expect(chips).to_have_text(["tags: trading", "tags: equities"])
    shot(page, "12-explore-chips")

    page.get_by_label("Remove the filter tags: trading").click()
    expect(chips).to_have_text(["tags: equities"])
    page.click(".chips a:text-is('Clear all')")
    expect(chips).to_have_count(0)
    expect(page.locator("input[name=q]")).to_have_value("trades0")
    expect(page.locator(".hit > a")).to_have_count(10)

    page.fill("input[name=q]", "trdaes05")
    page.click("form.search button")
    expect(page.locator("[data-testid=empty]")).to_contain_text("No product matches")
    shot(page, "13-explore-empty")
    page.locator("[data-testid=suggestion]", has_text="trades05").click()
    expect(page.locator(".hit > a")).to_have_text(["execution.trades05.v1"])
    assert problems == []
