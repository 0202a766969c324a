"""``streammesh subscriptions``, ``inbox``, ``incident declare`` and ``notify`` on a local mesh."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from streammesh.config import MeshConfig
from streammesh.notify import deliver_pending
from streammesh.notify import tables as notify_tables
from streammesh.runtime import MeshRuntime
from tests.unit.cli.invoking import CliResult, invoke_cli
from tests.unit.notify.servers import (
    LOCAL_HOOKS_YAML,
    TRADES,
    WebhookReceiver,
    open_mesh,
    run_receiver,
    settings_for,
)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    mesh = open_mesh(tmp_path / "mesh")
    mesh.close()
    (tmp_path / "mesh" / "mesh.yaml").write_text(LOCAL_HOOKS_YAML, encoding="utf-8")
    return tmp_path / "mesh"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    yield from run_receiver(WebhookReceiver())


def cli(home: Path, *args: str, code: int = 0) -> CliResult:
    result = invoke_cli(*args, "--mesh", str(home))
    assert result.exit_code == code, result.stdout + result.stderr
    return result


def test_subscribe_declare_incident_deliver_and_read_the_inbox(
    home: Path, receiver: WebhookReceiver
) -> None:
    added = cli(
        home,
        "subscriptions",
        "add",
        "ada",
        "--product",
        TRADES,
        "--webhook",
        receiver.url,
        "--inbox",
        "--event",
        "incident.declared",
        "--json",
    )
    sub = json.loads(added.stdout)
    assert sub["webhook_secret"].startswith("whsec_")
    listed = json.loads(cli(home, "subscriptions", "list", "--json").stdout)
    assert [item["id"] for item in listed] == [sub["id"]]

    declared = cli(home, "incident", "declare", TRADES, "--message", "duplicates since 10:00")
    assert "incident declared" in declared.stdout
    ran = cli(home, "notify", "run", "--once")
    assert "1 delivered" in ran.stdout
    assert receiver.bodies()[0]["note"] == "duplicates since 10:00"

    inbox = json.loads(cli(home, "inbox", "--as", "ada", "--json").stdout)
    assert [item["event_type"] for item in inbox] == ["incident.declared"]
    cli(home, "inbox", "--as", "ada", "--mark-read", str(inbox[0]["id"]))
    assert json.loads(cli(home, "inbox", "--as", "ada", "--unread", "--json").stdout) == []

    cli(home, "subscriptions", "remove", sub["id"])
    missing = cli(home, "subscriptions", "remove", sub["id"], code=1)
    assert f"No subscription '{sub['id']}'" in missing.stderr


def test_dead_letters_are_listed_and_redriven(home: Path, receiver: WebhookReceiver) -> None:
    receiver.statuses[:] = [500]
    cli(
        home,
        "subscriptions",
        "add",
        "ops",
        "--webhook",
        receiver.url,
        "--event",
        "incident.declared",
    )
    cli(home, "incident", "declare", TRADES, "-m", "down")
    # One attempt only, so the failed one is dead at once (the CLI worker reads mesh.yaml).
    with _local(home) as mesh:
        deliver_pending(mesh, settings_for(None, max_attempts=1))
    (dead,) = json.loads(cli(home, "notify", "dead-letters", "--json").stdout)
    assert dead["last_error"] == "HTTP 500"
    assert dead["address"] == receiver.url

    assert f"re-queued {dead['id']}" in cli(home, "notify", "redrive", dead["id"]).stdout
    cli(home, "notify", "run", "--once")
    assert len(receiver.received) == 2
    assert "No dead letters." in cli(home, "notify", "dead-letters").stdout
    redriven = cli(home, "notify", "redrive", "nope", code=1)
    assert "No dead-lettered delivery 'nope'" in redriven.stderr


def test_run_once_reports_what_each_channel_did(home: Path, receiver: WebhookReceiver) -> None:
    receiver.statuses[:] = [500]  # the webhook's first attempt fails; it is retried later
    cli(
        home,
        "subscriptions",
        "add",
        "ada",
        "--product",
        TRADES,
        "--webhook",
        receiver.url,
        "--inbox",
        "--event",
        "incident.declared",
    )
    cli(home, "incident", "declare", TRADES, "-m", "down")
    ran = cli(home, "notify", "run", "--once").stdout
    with _local(home) as mesh, mesh.store.read() as connection:
        filled = connection.scalar(sa.select(sa.func.count()).select_from(notify_tables.inbox))
    assert filled and filled >= 1
    # Every inbox row the run filled is reported, and a failed webhook attempt says it is
    # retried; nothing reads as if no notification went out.
    assert f"inbox: {filled} added" in ran, ran
    assert "webhook: 0 delivered, 1 failed attempt (retried later)" in ran, ran
    assert "email" not in ran, ran  # no e-mail subscription: no line for it


@contextmanager
def _local(home: Path) -> Iterator[MeshRuntime]:
    with MeshRuntime.open(MeshConfig.load(home)) as mesh:
        yield mesh


def test_subscription_without_channel_is_refused(home: Path) -> None:
    refused = cli(home, "subscriptions", "add", "ops", "--domain", "execution", code=2)
    assert "channels" in refused.stderr


def test_a_webhook_to_the_cloud_metadata_service_is_refused(home: Path) -> None:
    refused = cli(
        home, "subscriptions", "add", "ops", "--webhook", "http://169.254.169.254/latest", code=2
    )
    assert refused.stderr.startswith("error: Subscription field 'webhook_url'")
    assert "link-local" in refused.stderr
    assert "notifications.webhooks.allow" in refused.stderr
    assert json.loads(cli(home, "subscriptions", "list", "--json").stdout) == []
