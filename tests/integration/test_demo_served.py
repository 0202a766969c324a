"""``streammesh demo`` served, as a user runs it: one real demo process (without PostgreSQL, as
the suite's environment has it) that answers its API and UI, lands page views that DuckDB
reads, says how to turn PostgreSQL on, and stops on Ctrl-C. One run for all of these: a
served demo costs a mesh seed and a server start-up."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import httpx
import pytest

from streammesh.sdk import Mesh
from tests.support.processes import OutputLines, stop_process, streammesh_command

PRODUCTS = {
    "execution.stocktrades.v1",
    "edge.pageviews.v1",
    "edge.pageviews.v2",
    "membership.users.v1",
    "shop.orders.v1",
    "marketing.adclicks.v1",
}
START_S = 90.0
"""How long the demo may take to seed and serve on a loaded machine."""


@dataclass(frozen=True, slots=True)
class ServedDemo:
    """What one served demo did: its output, and how its Ctrl-C went."""

    home: Path
    summary: str
    """What it printed up to ``Press Ctrl-C``."""
    products: set[str]
    """The references its API listed while it served."""
    sign_in_status: int
    stopped_in_s: float
    returncode: int
    rest: str
    """What it printed after Ctrl-C."""
    errors: str


def _wait_serving(base: str) -> None:
    deadline = time.monotonic() + START_S
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"the demo did not serve within {START_S} s"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedDemo]:
    home = tmp_path_factory.mktemp("demo-served") / "mesh"
    env = {**os.environ, "STREAMMESH_DEMO_POSTGRES": "off"}
    command = [*streammesh_command(), "demo", "--mesh", str(home), "--port", "0", "--rate", "20"]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as process:
        try:
            assert process.stdout is not None and process.stderr is not None
            lines = OutputLines(process.stdout)
            summary = lines.until("Press Ctrl-C", START_S)
            api = re.search(r"API:\s+(http://\S+/api/v1)", summary)
            token = re.search(r"Admin token .*: (\S+)", summary)
            ui = re.search(r"Web UI:\s+(http://\S+)/ui", summary)
            assert api and token and ui, summary
            # Ctrl-C once it serves: one during start-up first waits for the start-up.
            _wait_serving(ui.group(1))
            listed = httpx.get(
                f"{api.group(1)}/products",
                headers={"Authorization": f"Bearer {token.group(1)}"},
                timeout=10,
            )
            assert listed.status_code == 200, listed.text
            sign_in = httpx.get(f"{ui.group(1)}/ui/sign-in", timeout=10).status_code
            time.sleep(5)  # the hosted Parquet sink reads the page views so far
            started = time.monotonic()
            process.send_signal(signal.SIGINT)  # the sink closes: its files complete
            returncode = process.wait(timeout=30)
            stopped_in_s = time.monotonic() - started
            rest = lines.rest()
            errors = process.stderr.read()
        finally:
            stop_process(process)
    yield ServedDemo(
        home,
        summary,
        {product["reference"] for product in listed.json()},
        sign_in,
        stopped_in_s,
        returncode,
        rest,
        errors,
    )


def test_the_served_demo_answers_its_api_and_ui(served: ServedDemo) -> None:
    assert served.products == PRODUCTS
    assert served.sign_in_status == 200


def test_ctrl_c_stops_the_served_demo_cleanly(served: ServedDemo) -> None:
    assert served.returncode == 0, served.errors
    assert served.stopped_in_s < 10
    assert "streammesh demo stopped." in served.rest
    assert "Traceback" not in served.errors


def test_without_postgres_it_says_how_to_turn_the_cdc_capture_on(served: ServedDemo) -> None:
    assert (
        "Orders are produced directly: to capture them from a PostgreSQL table by CDC, set"
        in served.summary
    )
    assert "STREAMMESH_DEMO_POSTGRES=postgresql://" in served.summary
    assert not (served.home / "postgres").exists()


def test_the_served_demo_lands_page_views_that_duckdb_reads(served: ServedDemo) -> None:
    line = re.search(r"^  (duckdb -c .*)$", served.summary, re.MULTILINE)
    assert line, served.summary
    command = shlex.split(line.group(1))
    assert command[:2] == ["duckdb", "-c"]
    with Mesh.open(served.home) as mesh:
        described = mesh.local.log.describe_topic("edge.pageviews.v2")
        produced = sum(described.end_offsets.values())
    [(views,)] = duckdb.sql(f"SELECT sum(views) FROM ({command[2]})").fetchall()
    assert 0 < views <= produced
