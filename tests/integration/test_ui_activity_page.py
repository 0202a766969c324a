"""The activity feed and the other pages' timestamps in process (a ``TestClient`` signed in
through the sign-in form): filters by action, actor, product and period, and every moment
readable to the minute with the exact value on hover."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from streammesh.identity import Role
from tests.integration.api_v1_support import Served, avro, descriptor, serve, sources
from tests.integration.test_ui_explore_and_not_found import _sign_in

TIME = re.compile(
    r'<time datetime="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00)" title="\1">'
    r"(\d{4}-\d\d-\d\d \d\d:\d\d UTC)</time>"
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    for running in serve(tmp_path_factory.mktemp("ui") / "mesh"):
        admin = running.headers()
        applied = running.client.post(
            "/api/v1/apply",
            headers=admin,
            json=sources(
                (descriptor("execution.fills"), avro()),
                (descriptor("execution.orders"), avro()),
            ),
        )
        assert applied.status_code == 200, applied.text
        deprecated = running.client.post(
            "/api/v1/products/execution.fills.v1/deprecate",
            headers=running.headers(Role.GOVERNANCE),
            json={"reason": "moved", "sunset": "2099-01-01"},
        )
        assert deprecated.status_code == 200, deprecated.text
        _sign_in(running.client, running.tokens[Role.PLATFORM_ADMIN])
        yield running


def _rows(page: str) -> list[tuple[str, str, str]]:
    """(what, subject, who) of each row of the feed."""
    return re.findall(
        r"<tr><td><time [^>]+>[^<]+</time></td><td>([^<]+)</td><td>([^<]*)</td><td>([^<]*)</td>",
        page,
    )


def test_activity_filters_by_action_actor_product_and_period(served: Served) -> None:
    everything = served.client.get("/ui/activity").text
    rows = _rows(everything)
    assert ("product.deprecated", "execution.fills.v1", "governance-user") in rows
    assert {"product.published", "product.deprecated"} <= {what for what, _, _ in rows}

    by_action = _rows(served.client.get("/ui/activity?action=product.deprecated").text)
    assert by_action == [("product.deprecated", "execution.fills.v1", "governance-user")]
    by_actor = _rows(served.client.get("/ui/activity?actor=governance-user").text)
    assert by_actor == by_action
    by_product = _rows(served.client.get("/ui/activity?product=execution.orders").text)
    assert by_product and all("execution.orders" in subject for _, subject, _ in by_product)
    assert len(_rows(served.client.get("/ui/activity?period=1h").text)) == len(rows)
    # The chosen filters stay in the form, with a way back.
    page = served.client.get("/ui/activity?action=product.deprecated&period=24h").text
    assert "<option selected>product.deprecated</option>" in page
    assert '<option value="24h" selected>last day</option>' in page
    assert 'href="/ui/activity">Clear filters</a>' in page

    unknown = served.client.get("/ui/activity?action=product.exploded")
    assert unknown.status_code == 422
    assert "unknown action &#39;product.exploded&#39;" in unknown.text
    assert 'aria-label="Main"' in unknown.text  # the UI's page, with its navigation


def test_every_timestamp_is_readable_with_the_exact_moment_on_hover(served: Served) -> None:
    for path in ("/ui/activity", "/ui/governance"):
        page = served.client.get(path).text
        assert TIME.search(page), f"no readable <time> on {path}"
        assert not re.search(r"\d\d:\d\d:\d\d\.\d+", page), f"microseconds on {path}"
