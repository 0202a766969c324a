"""``mesh.stream(...)`` / ``mesh.table(...)``: DSL pipelines over the data products of an
in-process mesh, prepared exactly as ``streams run`` prepares the same SQL; a remote mesh
refuses them clearly."""

from __future__ import annotations

import pytest

from streammesh.runtime import MeshRuntime
from streammesh.sdk import InProcessMesh, NotServedRemotely
from streammesh.sdk.remote import RemoteMesh
from streammesh.streams import GrantMissing, InvalidPipeline, UnknownProduct
from streammesh.streams.dsl import col, stream, sum_, tumbling, window_end, window_start
from tests.unit.streams.products.conftest import APP_ACCOUNT

HIGH_VALUE = """\
CREATE STREAM high_value WITH (product='analytics.high_value_trades') AS
  SELECT t.userid, t.symbol, t.price, t.quantity, u.regionid
  FROM execution.stocktrades t JOIN members.users u ON t.userid = u.userid
  WHERE price > 500 AND quantity > 2500;
"""


def _sdk(runtime: MeshRuntime, principal: str | None = None) -> InProcessMesh:
    return InProcessMesh(runtime, actor="alice", principal=principal)


def test_a_pipeline_over_products_prepares_like_its_sql(mesh: MeshRuntime) -> None:
    sdk = _sdk(mesh)
    trades = sdk.stream("execution.stocktrades").alias("t")
    users = sdk.table("members.users").alias("u")
    high_value = (
        trades.join(users, on=col("userid", "t") == col("userid", "u"))
        .filter((col("price") > 500) & (col("quantity") > 2500))
        .select(
            col("userid", "t"),
            col("symbol", "t"),
            col("price", "t"),
            col("quantity", "t"),
            col("regionid", "u"),
        )
        .to_product("analytics.high_value_trades", name="high_value")
    )
    from_dsl = sdk.streams.prepare(high_value, "review-app")
    from_sql = mesh.streams.prepare(HIGH_VALUE, "review-app", None)
    assert [q.plan for q in from_dsl.queries] == [q.plan for q in from_sql.queries]
    assert [o.reference for o in from_dsl.outputs] == ["analytics.high_value_trades.v1"]
    assert from_dsl.outputs[0].descriptor == from_sql.outputs[0].descriptor
    assert [i.reference for i in from_dsl.inputs] == [i.reference for i in from_sql.inputs]
    assert from_dsl.text == sdk.streams.sql(high_value)


def test_the_trending_stocks_pipeline_publishes_a_table_product(mesh: MeshRuntime) -> None:
    sdk = _sdk(mesh)
    trending = (
        sdk.stream("execution.stocktrades")
        .window(tumbling(size="15 minutes"))
        .group_by("symbol")
        .aggregate("symbol", sum_("quantity").alias("total_quantity"), window_start(), window_end())
        .to_product("analytics.trending_stocks")
    )
    prepared = sdk.streams.prepare([trending], "trending-app")
    [output] = prepared.outputs
    assert output.reference == "analytics.trending_stocks.v1"
    assert output.descriptor.upstreams == ("execution.stocktrades.v1",)


def test_an_unknown_product_suggests_the_nearest(mesh: MeshRuntime) -> None:
    with pytest.raises(UnknownProduct, match=r"did you mean execution\.stocktrades"):
        _sdk(mesh).stream("execution.stocktrade")


def test_a_product_is_read_as_the_kind_of_events_it_holds(mesh: MeshRuntime) -> None:
    sdk = _sdk(mesh)
    with pytest.raises(InvalidPipeline, match=r"read it with mesh\.table\('members\.users'\)"):
        sdk.stream("members.users")
    with pytest.raises(InvalidPipeline, match=r"mesh\.stream\('execution\.stocktrades'\)"):
        sdk.table("execution.stocktrades")


def test_the_principal_of_the_mesh_needs_its_grants(mesh: MeshRuntime) -> None:
    sdk = _sdk(mesh, principal=APP_ACCOUNT)
    pipeline = (
        sdk.stream("execution.stocktrades").select("symbol", "price").to_product("analytics.prices")
    )
    with pytest.raises(GrantMissing, match=r"execution\.stocktrades"):
        sdk.streams.prepare(pipeline, "prices-app")


def test_a_pipeline_must_be_finished(mesh: MeshRuntime) -> None:
    unfinished = stream("execution.stocktrades").select("symbol")
    with pytest.raises(InvalidPipeline, match=r"\.to\(\.\.\.\) or \.to_product"):
        _sdk(mesh).streams.prepare([unfinished], "x-app")  # type: ignore[list-item]


def test_a_remote_mesh_refuses_stream_processing_clearly() -> None:
    remote = RemoteMesh("http://127.0.0.1:9", "token")
    with pytest.raises(NotServedRemotely, match=r"stream processing .* \(Mesh\.open\)"):
        remote.stream("execution.stocktrades")
    with pytest.raises(NotServedRemotely):
        remote.table("members.users")
    with pytest.raises(NotServedRemotely, match="streams run module:pipeline"):
        remote.streams.prepare([], "x-app")
    remote.close()
