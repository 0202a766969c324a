"""``streammesh demo``: the seeded mesh, its live traffic and reruns (the served process:
``test_demo_served.py``)."""

from __future__ import annotations

import re
import shlex
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from streammesh.access import AccessService, AccessState
from streammesh.control.records import ApplicationRole
from streammesh.demo import LAKE, REFERENCE_APPS
from streammesh.log.base import ConsumerOptions, OffsetReset
from streammesh.products.descriptor import QualityTier, Status
from streammesh.sdk import InProcessMesh, Mesh
from tests.unit.cli.invoking import CliResult, invoke_cli

PRODUCTS = {
    "execution.stocktrades.v1": (1, QualityTier.AUTHORITATIVE),
    "edge.pageviews.v1": (2, QualityTier.CURATED),
    "edge.pageviews.v2": (2, QualityTier.CURATED),
    "membership.users.v1": (1, QualityTier.AUTHORITATIVE),
    "shop.orders.v1": (1, QualityTier.AUTHORITATIVE),
    "marketing.adclicks.v1": (3, QualityTier.RAW),
}
READERS = {
    "fraud-detector": ["execution.stocktrades.v1"],
    "recommendations": ["edge.pageviews.v2", "membership.users.v1"],
    "billing": ["shop.orders.v1"],
    "legacy-dashboard": ["edge.pageviews.v1"],
}


@dataclass(frozen=True, slots=True)
class Runs:
    home: Path
    first: CliResult
    second: CliResult
    records_after_first: dict[str, int]


def _demo(home: Path) -> CliResult:
    result = invoke_cli("demo", "--mesh", str(home), "--no-serve", "--duration", "3")
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


def _records(mesh: InProcessMesh) -> dict[str, int]:
    counts = {}
    for reference in PRODUCTS:
        described = mesh.local.log.describe_topic(reference)
        counts[reference] = sum(
            end - described.beginning_offsets.get(partition, 0)
            for partition, end in described.end_offsets.items()
        )
    return counts


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    home = tmp_path_factory.mktemp("demo") / "mesh"
    first = _demo(home)
    with Mesh.open(home) as mesh:
        after_first = _records(mesh)
    return Runs(home, first, _demo(home), after_first)


@pytest.fixture
def mesh(runs: Runs) -> Iterator[InProcessMesh]:
    with Mesh.open(runs.home) as opened:
        yield opened


def test_products_are_published_with_their_tiers_and_qualities(mesh: InProcessMesh) -> None:
    for reference, (tier, quality) in PRODUCTS.items():
        record = mesh.product(reference)
        assert (record.descriptor.sla.tier, record.descriptor.quality) == (tier, quality)
        if reference != "edge.pageviews.v1":
            assert record.status is Status.PUBLISHED, reference


def test_pageviews_v1_is_deprecated_in_favour_of_v2(mesh: InProcessMesh) -> None:
    v1 = mesh.product("edge.pageviews.v1")
    assert v1.status is Status.DEPRECATED
    assert v1.replaced_by == "edge.pageviews.v2"
    assert v1.deprecation is not None
    assert v1.deprecation.replacement == "edge.pageviews.v2"
    assert v1.deprecation.sunset > v1.status_since.date()
    with mesh.consumer("edge.pageviews.v2", "test-v2-reader") as consumer:
        (event,) = consumer.take(1)
    assert event.value is not None
    assert set(event.value) == {"viewtime", "userid", "pageid", "referrer"}


def test_events_flow_into_every_live_product_and_more_on_each_run(
    runs: Runs, mesh: InProcessMesh
) -> None:
    now = _records(mesh)
    for reference, first in runs.records_after_first.items():
        assert first > 0, reference
        assert now[reference] > first, reference
    for result in (runs.first, runs.second):
        counts = re.findall(r"(\d+) events produced, (\d+) read", result.stdout)
        produced, read = map(int, counts[0])
        assert produced > 0 and read > 0
        assert "stopped early" not in result.stderr


def test_consuming_applications_are_registered_and_active(mesh: InProcessMesh) -> None:
    for application, references in READERS.items():
        for reference in references:
            registered = {
                (app.name, app.role, active) for app, active in mesh.applications(reference)
            }
            assert (application, ApplicationRole.CONSUMER, True) in registered, reference


def test_producers_are_service_accounts_of_the_owning_teams(mesh: InProcessMesh) -> None:
    access = AccessService(mesh.local.store, mesh.local.plane)
    for reference in PRODUCTS:
        producers = [
            app for app, _ in mesh.applications(reference) if app.role is ApplicationRole.PRODUCER
        ]
        assert len(producers) == 1, reference
        account = access.accounts.get(producers[0].name)
        assert account.team == mesh.product(reference).descriptor.team


def test_one_access_request_waits_for_the_orders_owners(mesh: InProcessMesh) -> None:
    access = AccessService(mesh.local.store, mesh.local.plane)
    pending = access.list(state=AccessState.REQUESTED)
    assert [(r.principal, r.reference, r.classified) for r in pending] == [
        ("ad-attribution", "shop.orders.v1", True)
    ]
    # Reruns reuse the grants: one per application and product, none doubled.
    approved = access.list(state=AccessState.APPROVED)
    assert sorted((r.principal, r.reference) for r in approved) == sorted(
        [(app, ref) for app, refs in READERS.items() for ref in refs]
        + [(case.name, ref) for case in REFERENCE_APPS for ref, _ in case.reads]
        + [(LAKE.name, LAKE.product)]
    )


def test_classified_order_fields_are_encrypted_in_the_stream(mesh: InProcessMesh) -> None:
    options = ConsumerOptions(group="test-raw-orders", auto_offset_reset=OffsetReset.EARLIEST)
    with mesh.local.log.consumer(options) as consumer:
        consumer.subscribe(["shop.orders.v1"])
        records = consumer.poll(timeout=5.0)
    assert records
    assert not any(b"@example.com" in (record.value or b"") for record in records)


def test_the_second_run_reuses_the_mesh(runs: Runs) -> None:
    assert "Seeded the demo mesh" in runs.first.stdout
    assert "Admin token" in runs.first.stdout
    assert "Reusing the demo mesh" in runs.second.stdout
    assert "Admin token" not in runs.second.stdout
    assert "streammesh token create" in runs.second.stdout


def test_the_demo_descriptors_pass_governance(runs: Runs) -> None:
    result = invoke_cli("validate", str(runs.home / "demo-products"), "--mesh", str(runs.home))
    assert result.exit_code == 0, result.stdout
    assert "0 errors" in result.stdout


def test_grants_decide_who_reads_classified_fields_in_clear(mesh: InProcessMesh) -> None:
    billing = InProcessMesh(mesh.local, actor="billing", principal="billing")
    with billing.consumer("shop.orders.v1", "test-billing-audit") as consumer:
        (order,) = consumer.take(1)
    assert order.value is not None
    assert order.value["customer_email"].endswith("@example.com")
    reco = InProcessMesh(mesh.local, actor="recommendations", principal="recommendations")
    with reco.consumer("membership.users.v1", "test-reco-audit") as consumer:
        (user,) = consumer.take(1)
    assert user.value is not None
    assert user.value["gender"] not in {"FEMALE", "MALE", "OTHER"}
    assert user.value["regionid"].startswith("REGION_")


def test_a_rerun_tells_the_state_of_a_request_approved_meanwhile(tmp_path: Path) -> None:
    home = tmp_path / "mesh"
    first = invoke_cli("demo", "--mesh", str(home), "--no-serve", "--duration", "0")
    assert first.exit_code == 0, first.stderr
    announced = re.search(r"Pending access request (\S+):.*\(approve: '([^']+)'\)", first.stdout)
    assert announced, first.stdout
    request_id, command = announced.groups()
    # The command the demo suggests works as printed, from anywhere.
    approve = shlex.split(command)
    assert approve[0] == "streammesh"
    approved = invoke_cli(*approve[1:])
    assert approved.exit_code == 0, approved.stderr

    second = invoke_cli("demo", "--mesh", str(home), "--no-serve", "--duration", "0")
    assert second.exit_code == 0, second.stderr
    assert f"Pending access request {request_id}" not in second.stdout
    assert "access approve" not in second.stdout
    assert f"Access request {request_id}" in second.stdout
    assert "approved" in second.stdout.split(f"Access request {request_id}", 1)[1].splitlines()[0]


def test_a_demo_on_a_taken_port_leaves_the_admin_token_to_the_next_run(tmp_path: Path) -> None:
    home = tmp_path / "mesh"
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        other.bind(("127.0.0.1", 0))
        other.listen(1)
        taken = other.getsockname()[1]
        failed = invoke_cli("demo", "--mesh", str(home), "--port", str(taken))
    assert failed.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{taken}" in failed.stderr

    rerun = invoke_cli("demo", "--mesh", str(home), "--no-serve", "--duration", "0")
    assert rerun.exit_code == 0, rerun.stderr
    assert "Seeded the demo mesh" in rerun.stdout  # the failed start seeded nothing
    assert "Admin token (shown only this once; keep it): sm_" in rerun.stdout


def test_the_summary_names_the_stream_applications_the_server_runs(runs: Runs) -> None:
    for result in (runs.first, runs.second):
        assert "Stream applications (placement server: the served mesh runs them" in result.stdout
        for line in (
            "trending-stocks: Trending stocks: publishes analytics.trending_stocks.v1",
            "high-value-trades: High-value trades for review: publishes risk.high_value_trades.v1",
            "us-trades: US trades for InfoSec: publishes infosec.us_trades.v1",
        ):
            assert f"  {line}\n" in result.stdout
        assert "the stream applications run when the mesh is served" in result.stdout
