"""The web UI's Explore paging and deprecated toggle, and its not-found pages, in process
(a ``TestClient`` signed in through the sign-in form)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from streammesh.identity import Role
from tests.integration.api_v1_support import Served, avro, descriptor, serve, sources

PRODUCTS = [f"execution.trades{number:02d}" for number in range(23)]
OLD = "execution.trades00"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    for running in serve(tmp_path_factory.mktemp("ui") / "mesh"):
        admin = running.headers()
        applied = running.client.post(
            "/api/v1/apply",
            headers=admin,
            json=sources(*[(descriptor(name), avro()) for name in PRODUCTS]),
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


def _sign_in(client: TestClient, secret: str) -> None:
    form = client.get("/ui/sign-in")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None, form.text
    signed = client.post(
        "/ui/sign-in", data={"token": secret, "csrf": csrf.group(1)}, follow_redirects=False
    )
    assert signed.status_code == 303, signed.text


def _hits(page: str) -> list[str]:
    return re.findall(r'<a href="/ui/products/([^"]+)">', page)


def _link(page: str, label: str) -> str:
    found = re.search(rf'<a href="([^"]+)"[^>]*>{label}</a>', page)
    assert found is not None, f"no link '{label}' on the page"
    return found.group(1).replace("&amp;", "&")


def test_every_product_is_reachable_through_the_page_links(served: Served) -> None:
    first = served.client.get("/ui/", params={"q": "trades", "tags": "trading"})
    assert first.status_code == 200
    assert "Page 1 of 2" in first.text

    second = served.client.get(_link(first.text, "Next"))
    assert "Page 2 of 2" in second.text
    # The query and the filter survive the page change.
    assert 'value="trades"' in second.text
    assert re.search(r'class="selected">trading', second.text)
    assert _link(first.text, "2") == _link(first.text, "Next")
    reached = _hits(first.text) + _hits(second.text)
    assert sorted(reached) == [f"{name}.v1" for name in PRODUCTS[1:]]
    assert "Next" not in re.sub(r"<[^>]+>", "", second.text.split('class="pager"')[1])

    back = served.client.get(_link(second.text, "Previous"))
    assert _hits(back.text) == _hits(first.text)


def test_deprecated_products_are_hidden_unless_asked_for(served: Served) -> None:
    default = served.client.get("/ui/", params={"q": "trades00"})
    assert f"{OLD}.v1" not in _hits(default.text)
    assert "0 product versions" in default.text

    shown = served.client.get(_link(default.text, "Show deprecated"))
    assert _hits(shown.text) == [f"{OLD}.v1"]
    assert 'name="deprecated" value="true" checked' in shown.text
    # The search form's checkbox does the same without the link.
    ticked = served.client.get("/ui/", params={"q": "trades00", "deprecated": "true"})
    assert _hits(ticked.text) == [f"{OLD}.v1"]
    # Hiding again keeps the query.
    hidden = served.client.get(_link(shown.text, "Hide deprecated"))
    assert _hits(hidden.text) == [] and 'value="trades00"' in hidden.text


def test_an_unknown_product_is_a_page_with_a_near_name(served: Served) -> None:
    page = served.client.get("/ui/products/execution.trades7.v1")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "There is no data product &#39;execution.trades7.v1&#39;" in page.text
    assert '<a href="/ui/products/execution.trades07"' in page.text
    assert '<a href="/ui/lineage">Lineage</a>' in page.text  # the navigation


def test_an_unknown_lineage_centre_and_path_are_pages_too(served: Served) -> None:
    lineage = served.client.get("/ui/lineage", params={"product": "exectuion.trades05"})
    assert lineage.status_code == 404
    assert "to centre the lineage on" in lineage.text
    assert '<a href="/ui/lineage?product=execution.trades05"' in lineage.text

    nowhere = served.client.get("/ui/no/such/page")
    assert nowhere.status_code == 404
    assert "There is no page at /ui/no/such/page" in nowhere.text
    assert '<a href="/ui/">Explore</a>' in nowhere.text


def test_the_api_keeps_json_errors(served: Served) -> None:
    api = served.client.get("/api/v1/products/execution.trades7.v1", headers=served.headers())
    assert api.status_code == 404 and api.json()["error"]["code"] == "product-not-found"
    registry = served.client.get("/registry/subjects/nope/versions", headers=served.headers())
    assert registry.status_code == 404 and "error_code" in registry.json()
    assert served.client.get("/api/v1/no-such-route").json()["error"]["code"] == "not-found"


def test_signed_out_unknown_path_offers_sign_in(tmp_path: Path) -> None:
    for running in serve(tmp_path / "mesh"):
        page = running.client.get("/ui/nowhere", follow_redirects=False)
        assert page.status_code == 404
        assert '<a href="/ui/sign-in">Sign in</a>' in page.text


def test_the_favicon_is_served(served: Served) -> None:
    icon = served.client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.content.startswith(b"<svg")
    explore = served.client.get("/ui/")
    assert '<link rel="icon" type="image/svg+xml" href="/ui/static/favicon.svg">' in explore.text
    assert served.client.get("/ui/static/favicon.svg").content == icon.content


def test_a_page_out_of_range_shows_the_nearest_page(served: Served) -> None:
    last = served.client.get("/ui/", params={"q": "trades", "page": "2"})
    stale = served.client.get("/ui/", params={"q": "trades", "page": "9"})
    assert stale.status_code == 200
    assert "Page 2 of 2" in stale.text and "No product matches" not in stale.text
    assert _hits(stale.text) == _hits(last.text) != []

    first = served.client.get("/ui/", params={"q": "trades", "page": "0"})
    assert first.status_code == 200 and "Page 1 of 2" in first.text


def test_a_bad_query_on_a_ui_page_is_a_page_too(served: Served) -> None:
    page = served.client.get("/ui/", params={"q": "trades", "page": "two"})
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
    assert "query.page" in page.text and "integer" in page.text
    assert '<a href="/ui/lineage">Lineage</a>' in page.text  # the navigation
    # The API keeps its JSON error for the same mistake.
    api = served.client.get("/api/v1/audit", params={"limit": "two"}, headers=served.headers())
    assert api.status_code == 422 and api.json()["error"]["code"] == "invalid-request"
