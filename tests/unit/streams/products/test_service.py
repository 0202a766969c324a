"""``runtime.streams``: a query's output published as a governed data product, with its
schema, upstreams, lineage, classifications and the grants the application needs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streammesh.access import AccessState
from streammesh.control import PlanRefused, ProductNotFound
from streammesh.identity import AccountKind
from streammesh.lineage import EdgeKind
from streammesh.products import Alignment, Classification, EventKind
from streammesh.runtime import MeshRuntime
from streammesh.streams import GrantMissing, GrantRevoked, OutputProductInvalid
from streammesh.streams.formats import FormatName
from streammesh.streams.plan import Source, children
from tests.unit.streams.products.conftest import ADMIN, APP_ACCOUNT, grant

PII = (Classification.PII,)

TRENDING = """
CREATE TABLE trending WITH (product='analytics.trending_stocks') AS
  SELECT symbol, SUM(quantity) AS total_quantity, COUNT(trader_email) AS traders,
         MAX(trader_email) AS last_trader, WINDOWSTART AS window_start
  FROM execution.stocktrades WINDOW TUMBLING (SIZE 15 MINUTES) GROUP BY symbol EMIT CHANGES;
"""

CONTACTS = """
CREATE STREAM contacts WITH (product='analytics.trade_contacts') AS
  SELECT symbol, LCASE(trader_email) AS contact, trader_email IS NULL AS anonymous, price
  FROM execution.stocktrades EMIT CHANGES;
"""

HIGH_VALUE = """
CREATE STREAM high_value WITH (product='analytics.high_value_trades') AS
  SELECT t.userid, t.symbol, t.price, t.quantity, u.regionid, u.email
  FROM execution.stocktrades t JOIN members.users u ON t.userid = u.userid
  WHERE price > 500 AND quantity > 2500 EMIT CHANGES;
"""


def test_the_output_is_derived_registered_and_applied_as_a_product(mesh: MeshRuntime) -> None:
    prepared = mesh.streams.prepare(TRENDING, "trending-app", None)
    [output] = prepared.outputs
    descriptor = output.descriptor
    assert output.reference == "analytics.trending_stocks.v1"
    assert (descriptor.team, descriptor.owner.email) == (
        "analytics-team",
        "analytics-team@example.com",
    )
    assert descriptor.alignment is Alignment.AGGREGATE
    assert descriptor.kind is EventKind.STATE
    assert descriptor.upstreams == ("execution.stocktrades.v1",)
    assert (descriptor.key.field, descriptor.key.type.value) == ("SYMBOL", "string")
    # The query now writes the product's topic: KAFKA keys, AVRO values.
    [query] = prepared.queries
    assert query.plan.topic == "analytics.trending_stocks.v1"
    assert (query.plan.formats.key_format, query.plan.formats.value_format) == (
        FormatName.KAFKA,
        FormatName.AVRO,
    )
    schema = json.loads(output.source.schema)
    fields = {field["name"]: field["type"] for field in schema["fields"]}
    assert fields == {
        "SYMBOL": "string",
        "TOTAL_QUANTITY": ["null", "int"],
        "TRADERS": ["null", "long"],
        "LAST_TRADER": ["null", "string"],
        "WINDOW_START": ["null", "long"],
    }
    with pytest.raises(ProductNotFound):  # prepare changes nothing
        mesh.plane.product("analytics.trending_stocks")

    mesh.streams.publish(prepared, actor="alice")
    record = mesh.plane.product("analytics.trending_stocks")
    assert record.descriptor.upstreams == ("execution.stocktrades.v1",)
    stored = mesh.registry.schema(record.schema_id)
    assert json.loads(stored.schema)["fields"] == schema["fields"]
    assert mesh.log.describe_topic("analytics.trending_stocks.v1").partitions == 1


def test_a_join_of_two_products_is_aggregate_aligned_and_lists_both_upstreams(
    mesh: MeshRuntime,
) -> None:
    [output] = mesh.streams.prepare(HIGH_VALUE, "review-app", None).outputs
    assert output.descriptor.alignment is Alignment.AGGREGATE
    assert output.descriptor.upstreams == ("execution.stocktrades.v1", "members.users.v1")
    assert output.descriptor.classifications == {"EMAIL": PII}


def test_a_filter_of_one_product_is_consumer_aligned(mesh: MeshRuntime) -> None:
    sql = (
        "CREATE STREAM big WITH (product='analytics.big_trades') AS SELECT symbol, price"
        " FROM execution.stocktrades WHERE price > 500 EMIT CHANGES;"
    )
    [output] = mesh.streams.prepare(sql, "big-app", None).outputs
    assert output.descriptor.alignment is Alignment.CONSUMER
    assert output.descriptor.kind is EventKind.MEASUREMENT
    assert str(output.descriptor.retention) == "recent:7d"


def test_classifications_propagate_and_count_removes_them(mesh: MeshRuntime) -> None:
    [trending] = mesh.streams.prepare(TRENDING, "trending-app", None).outputs
    # COUNT(trader_email) is a number of rows; MAX(trader_email) is an e-mail.
    assert trending.descriptor.classifications == {"LAST_TRADER": PII}
    [contacts] = mesh.streams.prepare(CONTACTS, "contacts-app", None).outputs
    # A function of a PII field, and a boolean about it, are still PII (conservative).
    assert contacts.descriptor.classifications == {"CONTACT": PII, "ANONYMOUS": PII}


def test_governance_refuses_what_the_derived_product_lacks(mesh: MeshRuntime) -> None:
    effective = mesh.policies.effective("analytics")
    required = effective.rules.metadata_required.model_copy(update={"fields": ("links.runbook",)})
    stricter = effective.model_copy(
        update={"rules": effective.rules.model_copy(update={"metadata_required": required})}
    )
    mesh.policies.set(stricter, actor="admin", domain="analytics")
    with pytest.raises(PlanRefused, match=r"links\.runbook"):
        mesh.streams.prepare(TRENDING, "trending-app", None)
    with pytest.raises(ProductNotFound):
        mesh.plane.product("analytics.trending_stocks")


def test_a_descriptor_file_next_to_the_sql_gives_the_descriptor(
    mesh: MeshRuntime, tmp_path: Path
) -> None:
    sql = tmp_path / "trending.sql"
    sql.write_text(TRENDING.replace("WITH (product='analytics.trending_stocks') ", ""))
    (tmp_path / "trending.yaml").write_text(
        "name: analytics.trending_stocks\n"
        "owner: {name: Grace Hopper, email: grace@example.com}\n"
        "team: analytics-team\n"
        "description: Most traded symbols per quarter hour.\n"
        "alignment: consumer\n"
        "kind: state\n"
        "sla: {tier: 3}\n"
        "links: {runbook: 'https://example.com/runbook'}\n"
        "classifications: {TOTAL_QUANTITY: [financial]}\n",
        encoding="utf-8",
    )
    [output] = mesh.streams.prepare_file(sql, "trending-app", None).outputs
    descriptor = output.descriptor
    assert descriptor.owner.name == "Grace Hopper"
    assert descriptor.alignment is Alignment.CONSUMER
    assert descriptor.upstreams == ("execution.stocktrades.v1",)
    assert descriptor.classifications == {
        "TOTAL_QUANTITY": (Classification.FINANCIAL,),
        "LAST_TRADER": (Classification.PII,),
    }


def test_a_descriptor_file_cannot_make_a_derived_product_source_aligned(
    mesh: MeshRuntime,
) -> None:
    with pytest.raises(OutputProductInvalid, match="aggregate- or consumer-aligned"):
        mesh.streams.prepare(
            TRENDING,
            "trending-app",
            None,
            descriptor="name: analytics.trending_stocks\nalignment: source\n",
        )


def test_lineage_shows_inputs_the_application_and_the_output(mesh: MeshRuntime) -> None:
    prepared = mesh.streams.prepare(HIGH_VALUE, "review-app", None)
    mesh.streams.publish(prepared, actor="alice")
    edges = {(edge.source, edge.target, edge.kind) for edge in mesh.lineage.graph().edges}
    app = "application:review-app"
    assert ("product:execution.stocktrades.v1", app, EdgeKind.CONSUMES) in edges
    assert ("product:members.users.v1", app, EdgeKind.CONSUMES) in edges
    assert (app, "product:analytics.high_value_trades.v1", EdgeKind.PRODUCES) in edges
    assert (
        "product:execution.stocktrades.v1",
        "product:analytics.high_value_trades.v1",
        EdgeKind.DERIVES,
    ) in edges


def test_a_missing_read_grant_is_refused_naming_it(mesh: MeshRuntime) -> None:
    grant(mesh, "execution.stocktrades")
    with pytest.raises(GrantMissing) as refused:
        mesh.streams.prepare(HIGH_VALUE, "review-app", APP_ACCOUNT)
    assert (refused.value.product, refused.value.write) == ("members.users.v1", False)
    assert f"'{APP_ACCOUNT}' has no read grant on 'members.users.v1'" in str(refused.value)

    grant(mesh, "members.users", classified=True)
    prepared = mesh.streams.prepare(HIGH_VALUE, "review-app", APP_ACCOUNT)
    # Classified fields in clear only through a grant that includes them.
    assert prepared.clear == {"execution.stocktrades.v1": False, "members.users.v1": True}


def _revoke(mesh: MeshRuntime, product: str) -> None:
    for request in mesh.access.list(
        product=product, principal=APP_ACCOUNT, state=AccessState.APPROVED
    ):
        mesh.access.revoke(request.id, caller=ADMIN)


def test_a_running_application_learns_that_a_grant_was_revoked_or_downgraded(
    mesh: MeshRuntime,
) -> None:
    grant(mesh, "execution.stocktrades")
    grant(mesh, "members.users", classified=True)
    prepared = mesh.streams.prepare(HIGH_VALUE, "review-app", APP_ACCOUNT)
    mesh.streams.check_still_granted(prepared)  # nothing changed: it goes on

    # Read in clear with a classified grant, which becomes one without classified fields.
    _revoke(mesh, "members.users")
    grant(mesh, "members.users")
    with pytest.raises(GrantRevoked) as downgraded:
        mesh.streams.check_still_granted(prepared)
    assert (downgraded.value.product, downgraded.value.classified) == ("members.users.v1", True)
    assert "no longer includes classified fields" in str(downgraded.value)
    # Prepared again (what a restart does), it computes over the placeholders.
    again = mesh.streams.prepare(HIGH_VALUE, "review-app", APP_ACCOUNT)
    assert again.clear["members.users.v1"] is False
    mesh.streams.check_still_granted(again)

    _revoke(mesh, "execution.stocktrades")
    with pytest.raises(GrantRevoked) as revoked:
        mesh.streams.check_still_granted(again)
    assert (revoked.value.product, revoked.value.write) == ("execution.stocktrades.v1", False)
    assert str(revoked.value) == (
        f"stream application 'review-app' stopped: the read grant of its service account "
        f"'{APP_ACCOUNT}' on 'execution.stocktrades.v1' was revoked; nothing more was committed"
    )


def test_writing_the_output_needs_a_service_account_of_its_team(mesh: MeshRuntime) -> None:
    mesh.access.create_account(
        "members-sa", AccountKind.SERVICE_ACCOUNT, team="members-team", description="", actor="a"
    )
    request = mesh.access.request(
        "execution.stocktrades", "members-sa", purpose="x", classified=False, caller=ADMIN
    )
    if request.state.value != "approved":
        mesh.access.approve(request.id, caller=ADMIN)
    descriptor = (
        "name: analytics.trending_stocks\nowner: {name: A, email: a@example.com}\n"
        "team: analytics-team\ndescription: Trending.\nalignment: aggregate\nkind: state\n"
        "sla: {tier: 3}\n"
    )
    with pytest.raises(GrantMissing) as refused:
        mesh.streams.prepare(TRENDING, "trending-app", "members-sa", descriptor=descriptor)
    assert refused.value.write
    assert "may not write the output product 'analytics.trending_stocks.v1'" in str(refused.value)


def test_a_later_statement_reading_the_output_reads_the_product_topic(
    mesh: MeshRuntime,
) -> None:
    sql = (
        "CREATE STREAM big WITH (product='analytics.big_trades') AS SELECT symbol, price"
        " FROM execution.stocktrades WHERE price > 500 EMIT CHANGES;\n"
        "CREATE STREAM huge AS SELECT symbol, price FROM big WHERE price > 5000 EMIT CHANGES;"
    )
    prepared = mesh.streams.prepare(sql, "big-app", None)
    [output] = prepared.outputs
    first, second = prepared.queries
    assert first.plan == output.sink
    source = second.plan
    while not isinstance(source, Source):
        source = children(source)[0]
    assert (source.topic, source.formats.value_format) == (
        "analytics.big_trades.v1",
        FormatName.AVRO,
    )


def test_an_output_without_a_key_is_refused(mesh: MeshRuntime) -> None:
    sql = (
        "CREATE STREAM prices WITH (product='analytics.prices') AS SELECT price"
        " FROM execution.stocktrades PARTITION BY NULL EMIT CHANGES;"
    )
    with pytest.raises(OutputProductInvalid, match=r"one key field, .* has none"):
        mesh.streams.prepare(sql, "prices-app", None)


def test_what_a_descriptor_file_leaves_out_is_defaulted(mesh: MeshRuntime) -> None:
    descriptor = (
        "name: analytics.trending_stocks\n"
        "links: {runbook: 'https://example.com/runbook'}\n"
        "quality: curated\n"
    )
    prepared = mesh.streams.prepare(TRENDING, "trending-app", None, descriptor=descriptor)
    derived = prepared.outputs[0].descriptor
    assert derived.team == "analytics-team"
    assert derived.quality.value == "curated"
    assert str(derived.links.runbook) == "https://example.com/runbook"


def test_insert_into_a_published_sink_writes_the_same_product(mesh: MeshRuntime) -> None:
    sql = (
        "CREATE STREAM big WITH (product='analytics.big_trades') AS SELECT symbol, price"
        " FROM execution.stocktrades WHERE price > 500 EMIT CHANGES;\n"
        "INSERT INTO big SELECT symbol, price FROM execution.stocktrades.v1"
        " WHERE quantity > 5000 EMIT CHANGES;"
    )
    prepared = mesh.streams.prepare(sql, "big-app", None)
    assert [output.reference for output in prepared.outputs] == ["analytics.big_trades.v1"]
    assert [query.plan.topic for query in prepared.queries] == ["analytics.big_trades.v1"] * 2


def test_policy_applies_to_a_propagated_classification(mesh: MeshRuntime) -> None:
    # The default policy keeps PII at most 30 days: CONTACT is PII because its input is.
    descriptor = "name: analytics.trade_contacts\nretention: full-history\n"
    with pytest.raises(PlanRefused, match=r"CONTACT.*pii.*retention\.classification"):
        mesh.streams.prepare(CONTACTS, "contacts-app", None, descriptor=descriptor)
    without_pii = CONTACTS.replace("LCASE(trader_email) AS contact, ", "").replace(
        "trader_email IS NULL AS anonymous, ", ""
    )
    prepared = mesh.streams.prepare(without_pii, "contacts-app", None, descriptor=descriptor)
    assert prepared.outputs[0].descriptor.classifications == {}


def test_a_propagated_pii_column_is_protected_and_never_written_without_keys(
    mesh: MeshRuntime,
) -> None:
    from streammesh.streams import StreamsService

    prepared = mesh.streams.prepare(CONTACTS, "contacts-app", None)
    [protection] = prepared.protections.values()
    assert list(prepared.protections) == ["analytics.trade_contacts.v1"]
    assert protection.encrypted == ("ANONYMOUS", "CONTACT")
    # A service that cannot encrypt refuses to start, naming the fields, rather than
    # writing them in clear.
    without_keys = StreamsService(mesh.plane, mesh.registry, mesh.grants)
    with pytest.raises(OutputProductInvalid, match=r"ANONYMOUS, CONTACT must be encrypted"):
        without_keys.prepare(CONTACTS, "contacts-app", None)


def test_a_product_name_with_dashes_gets_a_valid_avro_record_name(mesh: MeshRuntime) -> None:
    script = CONTACTS.replace("analytics.trade_contacts", "analytics.trade-contacts")
    prepared = mesh.streams.prepare(script, "contacts-app", None)
    [output] = prepared.outputs
    assert json.loads(output.source.schema)["name"] == "TradeContacts"
    mesh.streams.publish(prepared, actor="alice")
    assert mesh.plane.product("analytics.trade-contacts").descriptor.upstreams == (
        "execution.stocktrades.v1",
    )
