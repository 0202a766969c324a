"""The browser suite's one mesh, ``streammesh up`` and headless Chromium, shared by every
test module (session scope: starting them once keeps the suite fast), and the helpers that
sign in and take screenshots.

Every test that uses ``browser`` fails on a console error, an uncaught exception, a failed
request or an HTTP error status in any page of any context it opens, unless the test asked
for that document on purpose (:func:`expect_errors`).

The mesh: product ``sales.orders`` with a PII field and three events, a consuming
application ``orders-audit`` one event in, the owning team's user ``sam`` (domain-owner)
and the consumer team's user ``fiona`` (consumer) with service account ``ledger-app``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from streammesh.access import AccessService
from streammesh.identity import AccountKind, Role, TokenStore
from streammesh.sdk import Mesh
from tests.support.streammesh_server import StreammeshServer
from tests.unit.cli.invoking import invoke_cli

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
PRODUCT = "sales.orders"


def sign_in(browser: object, url: str, token: str) -> object:
    """A new browser session signed in with ``token``, on the Explore page."""
    page = browser.new_context().new_page()  # type: ignore[attr-defined]
    page.goto(f"{url}/")
    page.fill("input[name=token]", token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/ui/")
    return page


def shot(page: object, name: str) -> None:
    """Keep a full-page screenshot under ``test-artifacts/browser/``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
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
        # A consuming application one event in: its group is two events behind.
        with operator.consumer(PRODUCT, "orders-audit") as reader:
            assert reader.poll(10.0) is not None
            reader.commit()
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


@pytest.fixture(scope="session")
def server(mesh: tuple[Path, dict[str, str]]) -> Iterator[StreammeshServer]:
    with StreammeshServer(mesh[0]) as running:
        yield running


class WatchedBrowser:
    """Chromium, whose every new context records the problems of its pages (see the module's
    docstring); everything else is Playwright's ``Browser``."""

    def __init__(self, browser: object) -> None:
        self._browser = browser
        self.problems: list[str] = []
        self.expected: set[str] = set()

    def __getattr__(self, name: str) -> object:
        return getattr(self._browser, name)

    def new_context(self, **options: object) -> object:
        context = self._browser.new_context(**options)  # type: ignore[attr-defined]
        context.on("console", self._console)
        context.on("response", self._response)
        context.on("requestfailed", self._failed)
        context.on("weberror", lambda error: self.problems.append(f"exception: {error.error}"))
        return context

    def _console(self, message: object) -> None:
        where = message.location.get("url", "")  # type: ignore[attr-defined]
        text = message.text  # type: ignore[attr-defined]
        # Chromium logs the error status of a document as a console error too.
        if message.type == "error" and not (  # type: ignore[attr-defined]
            where in self.expected and "the server responded with a status of" in text
        ):
            self.problems.append(f"console: {text} at {where}")

    def _response(self, answer: object) -> None:
        if answer.status >= 400 and answer.url not in self.expected:  # type: ignore[attr-defined]
            self.problems.append(f"HTTP {answer.status} for {answer.url}")  # type: ignore[attr-defined]

    def _failed(self, request: object) -> None:
        # A load the browser cancelled because the page moved on (the favicon of a page
        # left at once) is not a failure of the server.
        if request.failure != "net::ERR_ABORTED":  # type: ignore[attr-defined]
            self.problems.append(f"failed: {request.url} ({request.failure})")  # type: ignore[attr-defined]


def expect_errors(browser: object, *urls: str) -> None:
    """The documents at ``urls`` are asked for on purpose and answer an error status (a
    not-found page, a refused form): the one error each may cause is allowed."""
    assert isinstance(browser, WatchedBrowser)
    browser.expected.update(urls)


@pytest.fixture(autouse=True)
def _no_browser_problems(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a browser test whose pages logged an error or had a request fail."""
    if "browser" not in request.fixturenames:
        yield
        return
    watched = request.getfixturevalue("browser")
    assert isinstance(watched, WatchedBrowser)
    watched.problems.clear()
    watched.expected.clear()
    yield
    assert watched.problems == [], "the browser saw problems:\n" + "\n".join(watched.problems)


# Per module, not per session: Playwright's sync API keeps an asyncio loop running in the
# worker's main thread while it is open, and later tests of the same worker that call
# asyncio.run() would find it running.
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with pytest.importorskip("playwright.sync_api").sync_playwright() as playwright:
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
            yield WatchedBrowser(launched)
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
