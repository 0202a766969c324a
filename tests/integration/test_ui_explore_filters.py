"""Explore's filters as people expect them, in process (a ``TestClient`` signed in through
the sign-in form): several values of one facet, the chosen filters as chips with "Clear all",
and an empty result that offers a near match or dropping the filters."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from streammesh.identity import Role
from tests.integration.api_v1_support import Served, avro, descriptor, serve, sources
from tests.integration.test_ui_explore_and_not_found import _hits, _link, _sign_in

PRODUCTS = ["execution.fills", "execution.orders", "marketing.clicks", "finance.ledger"]
OLD = "finance.payments"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    for running in serve(tmp_path_factory.mktemp("ui") / "mesh"):
        admin = running.headers()
        applied = running.client.post(
            "/api/v1/apply",
            headers=admin,
            json=sources(*[(_descriptor(name), avro()) for name in [*PRODUCTS, OLD]]),
        )
        assert applied.status_code == 200, applied.text
        deprecated = running.client.post(
            f"/api/v1/products/{OLD}.v1/deprecate",
            headers=admin,
            json={"reason": "moved", "sunset": "2099-01-01"},
        )
        assert deprecated.status_code == 200, deprecated.text
        _sign_in(running.client, running.tokens[Role.CONSUMER])
        yield running


def _descriptor(name: str) -> str:
    """The test descriptor; marketing's products belong to the growth team."""
    text = descriptor(name)
    if name.startswith("marketing."):
        return text.replace("team: execution-team", "team: growth-team")
    return text


def _facet(page: str, name: str) -> str:
    found = re.search(rf'data-facet="{name}">(.*?)</section>', page, re.S)
    assert found is not None, f"no facet {name} on the page"
    return found.group(1)


def _chips(page: str) -> list[str]:
    return re.findall(r'<a [^>]*class="chip"[^>]*><span class="chip-label">([^<]+)<', page)


def test_several_values_of_one_facet_can_be_chosen(served: Served) -> None:
    one = served.client.get("/ui/", params={"domain": "execution"})
    assert sorted(_hits(one.text)) == ["execution.fills.v1", "execution.orders.v1"]
    # The other domains stay offered, with the count each would add.
    domains = _facet(one.text, "domain")
    assert re.search(r'class="selected">execution <span class="count">2', domains)
    assert re.search(r'class="">finance <span class="count">1', domains)

    two = served.client.get(_link(one.text, r'finance <span class="count">1</span>'))
    assert sorted(_hits(two.text)) == [
        "execution.fills.v1",
        "execution.orders.v1",
        "finance.ledger.v1",
    ]
    assert len(re.findall(r'class="selected"', _facet(two.text, "domain"))) == 2


def test_chosen_filters_are_chips_with_clear_all(served: Served) -> None:
    page = served.client.get(
        "/ui/", params=[("q", "orders"), ("domain", "execution"), ("tags", "trading")]
    )
    assert _chips(page.text) == ["domain: execution", "tags: trading"]

    # A chip removes its own filter only; the search text stays.
    without_domain = _link(page.text, r'<span class="chip-label">domain: execution</span>.*?')
    assert without_domain == "/ui/?q=orders&tags=trading"

    cleared = served.client.get(_link(page.text, "Clear all"))
    assert _chips(cleared.text) == []
    assert 'value="orders"' in cleared.text
    assert _hits(cleared.text) == ["execution.orders.v1"]
    assert "Clear all" not in served.client.get("/ui/").text


def test_an_empty_result_suggests_a_near_name(served: Served) -> None:
    page = served.client.get("/ui/", params={"q": "ledgre"})
    assert _hits(page.text) == []
    assert "No product matches" in page.text
    suggestion = served.client.get(_link(page.text, "ledger"))
    assert _hits(suggestion.text) == ["finance.ledger.v1"]


def test_an_empty_result_offers_to_drop_the_filters(served: Served) -> None:
    page = served.client.get("/ui/", params={"q": "clicks", "domain": "finance"})
    assert _hits(page.text) == []
    assert "1 product version matches without the filters" in page.text
    cleared = served.client.get(_link(page.text, "Clear the filters"))
    assert _hits(cleared.text) == ["marketing.clicks.v1"]


def test_an_empty_result_offers_the_deprecated_matches(served: Served) -> None:
    page = served.client.get("/ui/", params={"q": "payments"})
    assert _hits(page.text) == []
    assert "1 deprecated product version matches" in page.text
    shown = served.client.get(_link(page.text, "Show it"))
    assert _hits(shown.text) == [f"{OLD}.v1"]


def test_products_can_be_filtered_by_team(served: Served) -> None:
    page = served.client.get("/ui/")
    teams = _facet(page.text, "team")
    assert re.search(r'class="">execution-team <span class="count">3', teams)
    growth = served.client.get(_link(page.text, r'growth-team <span class="count">1</span>'))
    assert _hits(growth.text) == ["marketing.clicks.v1"]
    assert _chips(growth.text) == ["team: growth-team"]
