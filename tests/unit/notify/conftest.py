"""Fixtures of the notification tests: a webhook receiver, an SMTP server, a mesh."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from streammesh.runtime import MeshRuntime
from tests.unit.notify.servers import SmtpSink, WebhookReceiver, open_mesh, run_receiver, run_smtp


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    yield from run_receiver(WebhookReceiver())


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    yield from run_smtp()


@pytest.fixture
def mesh(tmp_path: Path) -> Iterator[MeshRuntime]:
    local = open_mesh(tmp_path / "mesh")
    yield local
    local.close()
