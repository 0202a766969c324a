"""The web UI in a real headless Chromium against a real ``streammesh up``.

A consumer team's user searches, opens a product with a PII field, asks access for their
application; the owning team's user approves it in another browser session; the consumer
then sees the field in clear where it was masked before. Screenshots of each step are kept
under ``test-artifacts/browser/`` (the path is printed).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from streammesh.access import AccessService
from streammesh.identity import AccountKind, Role, TokenStore
from streammesh.privacy import MASK_TEXT
from streammesh.sdk import Mesh
from tests.support.streammesh_server import StreammeshServer
from tests.unit.cli.invoking import invoke_cli

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
PRODUCT = "sales.orders"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed at /usr/bin/chromium "
    "(apt-get install chromium; .ci/run does it)",
)
sync_api = pytest.importorskip("playwright.sync_api", reason="the dev extra's playwright")


@pytest.fixture(scope="module")
def mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    root = tmp_path_factory.mktemp("ui")
    result = invoke_cli("init", "sales", "--dir", str(root / "repo"))
    assert result.exit_code == 0, result.stderr
    descriptor = root / "repo" / "sales" / "orders.yaml"
    descriptor.write_text(
        descriptor.read_text().replace("status: draft", "status: published"), encoding="utf-8"
    )
    home = root / "mesh"
    with Mesh.open(home, actor="owner") as operator:
        operator.apply([root / "repo" / "sales"])
        with operator.producer(PRODUCT) as producer:
            for number in range(3):
                producer.send(
                    {
                        "orders_id": f"o-{number}",
                        "customer_email": f"user{number}@example.com",
                        "status": "placed",
                        "updated_at": datetime(2026, 11, 23, tzinfo=UTC),
                    }
                )
        store = operator.local.store
        access = AccessService(store, operator.local.plane)
        operator.local.plane.register_team(
            "finance-team", domain=None, email=None, description=None, actor="admin"
        )
        for name, kind, team in [
            ("ledger-app", AccountKind.SERVICE_ACCOUNT, "finance-team"),
            ("fiona", AccountKind.USER, "finance-team"),
            ("sam", AccountKind.USER, "sales-team"),
        ]:
            access.create_account(name, kind, team=team, description="", actor="admin")
        tokens = TokenStore(store)
        secrets = {
            "fiona": tokens.create("fiona", Role.CONSUMER).secret,
            "sam": tokens.create("sam", Role.DOMAIN_OWNER).secret,
        }
    yield home, secrets


@pytest.fixture(scope="module")
def server(mesh: tuple[Path, dict[str, str]]) -> Iterator[StreammeshServer]:
    with StreammeshServer(mesh[0]) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            yield launched
        finally:
            launched.close()


def _sign_in(browser: object, url: str, token: str) -> object:
    page = browser.new_context().new_page()  # type: ignore[attr-defined]
    page.goto(f"{url}/")
    page.fill("input[name=token]", token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/ui/")
    return page


def _shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_request_approve_then_unmasked(
    server: StreammeshServer, mesh: tuple[Path, dict[str, str]], browser: object
) -> None:
    print(f"screenshots in {ARTIFACTS}")
    _, tokens = mesh
    consumer = _sign_in(browser, server.url, tokens["fiona"])
    expect = sync_api.expect
    consumer.fill("input[name=q]", "orders")
    consumer.click("form.search button")
    _shot(consumer, "1-explore")
    expect(consumer.locator("[data-facet=domain]")).to_contain_text("sales")
    consumer.click(f"a:has-text('{PRODUCT}.v1')")
    expect(consumer.locator("#events")).to_contain_text(MASK_TEXT)
    expect(consumer.locator("#events")).not_to_contain_text("user1@example.com")
    _shot(consumer, "2-product-masked")

    consumer.select_option("select[name=application]", "ledger-app")
    consumer.fill("input[name=purpose]", "reconcile payments")
    consumer.check("input[name=classified]")
    consumer.click("#request-access button")
    expect(consumer.locator(".message")).to_contain_text("requested")

    owner = _sign_in(browser, server.url, tokens["sam"])
    owner.click("nav a:has-text('Access requests')")
    request_card = owner.locator(".request", has_text="ledger-app")
    expect(request_card).to_contain_text("reconcile payments")
    _shot(owner, "3-inbox")
    request_card.locator("input[name=note]").fill("ok for billing")
    request_card.locator("button[value=approve]").click()
    expect(owner.locator(".message")).to_contain_text("approved")

    consumer.reload()
    expect(consumer.locator("#events")).to_contain_text("user1@example.com")
    expect(consumer.locator("#consumers")).to_contain_text("ledger-app")
    _shot(consumer, "4-product-clear")

    owner.click("nav a:has-text('Activity')")
    expect(owner.locator("main")).to_contain_text("access.approved")
    owner.click("nav a:has-text('Governance')")
    expect(owner.locator("main")).to_contain_text(PRODUCT)
    _shot(owner, "5-governance")


def test_pages_need_a_session_and_forms_need_the_csrf_token(server: StreammeshServer) -> None:
    import httpx

    page = httpx.get(f"{server.url}/ui/access", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/ui/sign-in")
    bad = httpx.post(f"{server.url}/ui/sign-in", data={"token": "sm_nope", "csrf": "x"})
    assert bad.status_code == 403
