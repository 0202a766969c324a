"""The stream app pages in a real headless Chromium against a real ``streammesh up`` of its own
over the demo's mesh (seeded, with a few members and trades): create an app from a use case,
watch its status and first results arrive, stop it; bad SQL is refused on the form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from streammesh.access import AccessService
from streammesh.demo import seed
from streammesh.identity import AccountKind, Role, TokenStore
from streammesh.sdk import InProcessMesh, Mesh
from tests.browser.conftest import CHROMIUM, expect_errors, shot, sign_in
from tests.support.streammesh_server import StreammeshServer

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed at /usr/bin/chromium "
    "(apt-get install chromium; .ci/run does it)",
)
sync_api = pytest.importorskip("playwright.sync_api", reason="the dev extra's playwright")
WAIT_MS = 30_000


def _trade(userid: str, symbol: str, quantity: int, price: float) -> dict[str, object]:
    return {
        "side": "BUY",
        "quantity": quantity,
        "symbol": symbol,
        "price": price,
        "account": "ACC-10001",
        "userid": userid,
    }


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[StreammeshServer, str, str]]:
    """``streammesh up`` over the seeded demo mesh with two members and three trades (one of
    them high-value), a platform admin's token and a consumer's."""
    home = tmp_path_factory.mktemp("stream-apps") / "mesh"
    home.mkdir()
    now = int(datetime.now(UTC).timestamp() * 1000)
    with Mesh.open(home, actor="demo") as opened:
        seed(opened, home / "demo-products")
        # The seeded use cases are the server's to run: this test creates its own.
        for name in ("trending-stocks", "high-value-trades", "us-trades"):
            opened.local.streams.stop(name, actor="test")
        members = InProcessMesh(opened.local, actor="demo", principal="membership-service")
        with members.producer("membership.users.v1") as producer:
            for number, region in ((1, "REGION_1"), (2, "REGION_2")):
                user = {"registertime": 1, "userid": f"User_{number}", "regionid": region}
                producer.send({**user, "gender": "OTHER"}, timestamp_ms=now - 60_000)
        gateway = InProcessMesh(opened.local, actor="demo", principal="trade-gateway")
        with gateway.producer("execution.stocktrades.v1") as producer:
            producer.send(_trade("User_1", "LLY", 3000, 752.3), timestamp_ms=now)
            producer.send(_trade("User_2", "KO", 10, 58.7), timestamp_ms=now + 1)
            producer.send(_trade("User_2", "COST", 100, 721.6), timestamp_ms=now + 2)
        AccessService(opened.local.store, opened.local.plane).create_account(
            "carol", AccountKind.USER, team="membership", description="", actor="test"
        )
        tokens = TokenStore(opened.local.store)
        admin = tokens.create("admin", Role.PLATFORM_ADMIN).secret
        consumer = tokens.create("carol", Role.CONSUMER).secret
    with StreammeshServer(home) as running:
        yield running, admin, consumer


@pytest.mark.slow
def test_create_an_app_from_a_use_case_and_see_its_first_results(
    browser: object, demo: tuple[StreammeshServer, str, str]
) -> None:
    server, admin, _ = demo
    page = sign_in(browser, server.url, admin)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))  # type: ignore[attr-defined]
    page.click("nav >> text=Stream apps")  # type: ignore[attr-defined]
    page.click("[data-testid=create-app]")  # type: ignore[attr-defined]
    page.click("[data-use-case=high-value-trades]")  # type: ignore[attr-defined]
    sql = page.input_value("[data-testid=sql]")  # type: ignore[attr-defined]
    assert "JOIN membership.users u ON t.userid = u.userid" in sql
    assert "WHERE price > 500 AND quantity > 2500" in sql
    assert page.input_value("select[name=principal]") == "high-value-trades"  # type: ignore[attr-defined]
    page.fill("input[name=name]", "review-trades")  # type: ignore[attr-defined]
    page.click("button[value=explain]")  # type: ignore[attr-defined]
    assert "Join INNER ON T.USERID = U.USERID" in page.inner_text("#plan")  # type: ignore[attr-defined]
    page.click("button[value=start]")  # type: ignore[attr-defined]
    page.wait_for_url(f"{server.url}/ui/streams/review-trades?*")  # type: ignore[attr-defined]

    assert "Deployed review-trades" in page.inner_text("[role=status]")  # type: ignore[attr-defined]
    assert "WHERE price > 500" in page.inner_text("[data-testid=app-sql]")  # type: ignore[attr-defined]
    tree = page.inner_text("[data-testid=plan-tree]")  # type: ignore[attr-defined]
    assert "Sink HIGH_VALUE_TRADES" in tree and "Join INNER" in tree
    assert "review-trades-" in page.inner_text("#plan")  # its repartition/dead-letter topics
    # The page refreshes itself: the server starts the app and its first result arrives.
    sample = page.locator("[data-testid=output-sample] >> text=LLY")  # type: ignore[attr-defined]
    sample.wait_for(timeout=WAIT_MS)
    assert page.inner_text("[data-testid=app-state]") == "running"  # type: ignore[attr-defined]
    assert page.inner_text("[data-testid=instances]") == "1"  # type: ignore[attr-defined]
    # A platform admin without a grant sees the classified price and account masked.
    assert '"PRICE": null' in page.inner_text("[data-testid=output-sample]")  # type: ignore[attr-defined]
    assert "Classified fields are masked" in page.inner_text("#live")  # type: ignore[attr-defined]
    assert "COST" not in page.inner_text("[data-testid=output-sample]")  # type: ignore[attr-defined]
    queries = page.inner_text("[data-testid=queries]")  # type: ignore[attr-defined]
    assert "CSAS_HIGH_VALUE_TRADES_0" in queries and "execution.stocktrades.v1[" in queries
    shot(page, "stream-app")

    page.click("button[data-action=stop]")  # type: ignore[attr-defined]
    assert "Stopping review-trades" in page.inner_text("[role=status]")  # type: ignore[attr-defined]
    page.locator("[data-testid=app-state] >> text=stopped").wait_for(timeout=WAIT_MS)  # type: ignore[attr-defined]

    page.click("nav >> text=Stream apps")  # type: ignore[attr-defined]
    row = page.inner_text("tr[data-app=review-trades]")  # type: ignore[attr-defined]
    assert re.search(r"review-trades\s+stopped\s+0", row), row
    assert errors == []


def test_bad_sql_is_shown_on_the_form_and_nothing_is_deployed(
    browser: object, demo: tuple[StreammeshServer, str, str]
) -> None:
    server, admin, _ = demo
    # The refused form answers 422, the app never made answers 404: both on purpose.
    expect_errors(browser, f"{server.url}/ui/streams/-/new", f"{server.url}/ui/streams/broken-app")
    page = sign_in(browser, server.url, admin)
    page.goto(f"{server.url}/ui/streams/-/new")  # type: ignore[attr-defined]
    page.fill("input[name=name]", "broken-app")  # type: ignore[attr-defined]
    page.fill(  # type: ignore[attr-defined]
        "[data-testid=sql]",
        "CREATE STREAM big AS\n  SELEC symbol, quantity FROM execution.stocktrades;",
    )
    page.click("button[value=start]")  # type: ignore[attr-defined]
    error = page.inner_text("[data-testid=form-error]")  # type: ignore[attr-defined]
    assert "Line 2, column 3:" in error
    assert "mismatched input 'SELEC' expecting 'SELECT'" in error
    assert "Nothing was deployed." in error
    assert (
        page.inner_text("[data-testid=error-excerpt]")
        == "  SELEC symbol, quantity FROM execution.stocktrades;\n  ^"
    )  # type: ignore[attr-defined]
    # The form keeps what was typed, to fix it.
    assert page.input_value("input[name=name]") == "broken-app"  # type: ignore[attr-defined]
    assert "SELEC symbol" in page.input_value("[data-testid=sql]")  # type: ignore[attr-defined]
    shot(page, "stream-app-bad-sql")
    page.goto(f"{server.url}/ui/streams")  # type: ignore[attr-defined]
    assert "broken-app" not in page.inner_text("[data-testid=stream-apps]")  # type: ignore[attr-defined]
    page.goto(f"{server.url}/ui/streams/broken-app")  # type: ignore[attr-defined]
    assert "There is no stream application 'broken-app'" in page.inner_text("main")  # type: ignore[attr-defined]


def test_a_consumer_sees_an_app_but_may_not_change_it(
    browser: object, demo: tuple[StreammeshServer, str, str]
) -> None:
    server, _, consumer = demo
    page = sign_in(browser, server.url, consumer)
    page.goto(f"{server.url}/ui/streams/us-trades")  # type: ignore[attr-defined]
    assert "WHERE regionid = 'REGION_1'" in page.inner_text("[data-testid=app-sql]")  # type: ignore[attr-defined]
    assert "may look at stream applications but not change them" in page.inner_text(  # type: ignore[attr-defined]
        "[data-testid=controls-refused]"
    )
    assert page.locator("button[data-action]").count() == 0  # type: ignore[attr-defined]
