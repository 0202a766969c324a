"""Monitoring through the SDK's mesh client, in-process and remote alike: a product's metrics,
a consumer group's lag and caught-up answers, and the same refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from streammesh.control import ProductNotFound
from streammesh.observe import InvalidGroup, InvalidOffsets
from streammesh.sdk import ArgumentOutOfRange, MeshClient
from tests.conformance.client.conftest import unique
from tests.conformance.client.publishing import publish_product


@pytest.fixture
def product(client: MeshClient, tmp_path: Path) -> str:
    return publish_product(client, tmp_path)


def test_a_new_product_has_no_traffic_yet(client: MeshClient, product: str) -> None:
    metrics = client.monitoring.metrics(product, window=30)
    assert metrics["product"] == f"{product}.v1"
    assert metrics["window_seconds"] == 30
    assert (metrics["events_in_window"], metrics["last_event_at"]) == (0, None)
    assert [(p["partition"], p["end_offset"]) for p in metrics["partitions"]] == [(0, 0)]
    assert metrics["slos"] == []


def test_a_group_that_read_nothing_has_no_lag(client: MeshClient, product: str) -> None:
    group = unique("readers")
    assert client.monitoring.lag(group) == {
        "group": group,
        "total_lag": 0,
        "caught_up": True,
        "products": [],
    }
    one = client.monitoring.lag(group, product)
    assert [found["product"] for found in one["products"]] == [f"{product}.v1"]
    assert one["products"][0]["partitions"][0]["committed_offset"] is None
    answer = client.monitoring.caught_up(group, product, {0: 0})
    assert answer["caught_up"] is True


def test_slos_not_promised_are_not_judged(client: MeshClient, product: str) -> None:
    assert client.monitoring.check_slos(product) == []


def test_refusals_are_the_same_errors(client: MeshClient, product: str) -> None:
    monitoring = client.monitoring
    missing = f"{unique('nodomain')}.nothing"
    with pytest.raises(ProductNotFound):
        monitoring.metrics(missing)
    with pytest.raises(ProductNotFound):
        monitoring.lag(unique("readers"), missing)
    with pytest.raises(ProductNotFound):
        monitoring.check_slos(missing)
    with pytest.raises(InvalidGroup, match="is empty") as blank:
        monitoring.lag("  ")
    assert blank.value.group == "  "
    with pytest.raises(InvalidOffsets, match="partition") as offsets:
        monitoring.caught_up(unique("readers"), product, {7: 1})
    assert offsets.value.product == f"{product}.v1"


@pytest.mark.parametrize(("window", "wait"), [(0, None), (3601, None), (None, -1.0), (None, 31.0)])
def test_arguments_out_of_range_are_refused_alike(
    client: MeshClient, product: str, window: int | None, wait: float | None
) -> None:
    with pytest.raises(ArgumentOutOfRange, match="out of range: give") as refused:
        if window is not None:
            client.monitoring.metrics(product, window=window)
        else:
            assert wait is not None
            client.monitoring.caught_up(unique("readers"), product, {0: 0}, wait=wait)
    assert refused.value.name == ("window" if window is not None else "wait")
