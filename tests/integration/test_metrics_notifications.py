"""``/metrics`` shows whether notifications keep up: the notifier's lag on ``_mesh.events``
and the event relay's backlog, with the age of the figures served."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.api_v1_support import Served, avro, descriptor, serve, sources


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    yield from serve(tmp_path / "mesh")


def test_notifier_lag_and_relay_backlog_are_exported(served: Served) -> None:
    applied = served.client.post(
        "/api/v1/apply", json=sources((descriptor(), avro())), headers=served.headers()
    )
    assert applied.status_code == 200, applied.text

    answer = served.client.get("/metrics", headers=served.headers())
    assert answer.status_code == 200
    families = {family.name: family for family in text_string_to_metric_families(answer.text)}
    assert families["streammesh_up"].samples[0].value == 1
    # The change relayed its events at once: nothing waits in the outbox.
    assert families["streammesh_event_relay_pending"].samples[0].value == 0
    assert families["streammesh_event_relay_oldest_pending_seconds"].samples[0].value == 0
    [lag] = families["streammesh_notifier_lag"].samples
    assert lag.labels == {"partition": "0"} and lag.value >= 0
    assert 0 <= families["streammesh_metrics_age_seconds"].samples[0].value < 5
