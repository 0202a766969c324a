"""A stream application reads its input products' classified fields as ``mesh.consumer`` would
show them to its service account: in clear with a classified grant (or as the operator), over
the schema-valid placeholders otherwise — and a crypto-shredded entity reads as the
placeholder either way. The output's propagated ``pii`` field is encrypted again."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from streammesh.dataplane import ProductProducer
from streammesh.log import ConsumerOptions, Record
from streammesh.privacy import EVENT_HEADER, MASK_TEXT, forget
from streammesh.privacy.envelope import sealed_fields
from streammesh.products import KeyType
from streammesh.runtime import MeshRuntime
from streammesh.serde import RegistryResolver
from streammesh.streams import StreamsRunner
from tests.unit.streams.products.conftest import APP_ACCOUNT, grant

ADA = "ada@example.com"
BOB = "bob@elsewhere.org"
CAROL = "carol@example.com"

EXAMPLE_TRADERS = """
CREATE STREAM example_trades WITH (product='analytics.example_trades') AS
  SELECT symbol, trader_email, price FROM execution.stocktrades
  WHERE trader_email LIKE '%@example.com' EMIT CHANGES;
"""

ALL_TRADERS = """
CREATE STREAM all_trades WITH (product='analytics.all_trades') AS
  SELECT symbol, trader_email, price FROM execution.stocktrades EMIT CHANGES;
"""

EXAMPLE_USERS = """
CREATE STREAM example_users WITH (product='analytics.example_users') AS
  SELECT t.userid, t.symbol, t.price, u.email FROM execution.stocktrades t
  JOIN members.users u ON t.userid = u.userid
  WHERE u.email LIKE '%@example.com' EMIT CHANGES;
"""


def _produce(mesh: MeshRuntime) -> None:
    """Users first (the table side), then one trade each, through the data plane's
    producer (what the SDK's ``mesh.producer`` is): classified fields encrypted."""
    with mesh.data.producer("members.users", principal=None) as producer:
        producer.send({"userid": "u-ada", "regionid": "R1", "email": ADA})
        producer.send({"userid": "u-bob", "regionid": "R2", "email": BOB})
        producer.flush()
    with mesh.data.producer("execution.stocktrades", principal=None) as producer:
        for symbol, user, email in (("ACME", "u-ada", ADA), ("INIT", "u-bob", BOB)):
            producer.send(
                {
                    "symbol": symbol,
                    "side": "BUY",
                    "quantity": 10,
                    "price": 700,
                    "userid": user,
                    "trader_email": email,
                }
            )
        producer.flush()


def _run(mesh: MeshRuntime, sql: str, name: str, principal: str | None) -> list[Record]:
    """Prepare, publish and run the script until its input is read; the output's records."""
    prepared = mesh.streams.prepare(sql, name, principal)
    mesh.streams.publish(prepared, actor="alice")
    with StreamsRunner(
        mesh.log,
        prepared.queries,
        name,
        resolver=RegistryResolver(mesh.registry),
        protections=prepared.protections,
        decryption=prepared.decryption,
    ) as runner:
        for application in runner.applications:
            application.run_until_idle()
    [output] = prepared.outputs
    return _records(mesh, output.sink.topic)


def _records(mesh: MeshRuntime, topic: str) -> list[Record]:
    with mesh.log.consumer(
        ConsumerOptions(group="check-" + topic.replace(".", "-"), auto_commit=False)
    ) as c:
        c.subscribe([topic])
        return [record for _ in range(5) for record in c.poll(timeout=0.2)]


def _clear_values(mesh: MeshRuntime, product: str) -> list[dict[str, object] | None]:
    """The output's events as the operator reads them (classified fields in clear)."""
    with mesh.data.consumer(
        product, "reader-" + product.replace(".", "-").replace("_", "-"), reader=None, actor="t"
    ) as consumer:
        return [event.value for event in consumer.take(10, timeout=1)]


def _no_clear_value(records: Sequence[Record], *secrets: str) -> None:
    for record in records:
        for secret in secrets:
            assert secret.encode() not in (record.value or b"")
            assert all(secret.encode() not in value for _, value in record.headers)


def test_a_classified_grant_computes_over_clear_values(mesh: MeshRuntime) -> None:
    _produce(mesh)
    grant(mesh, "execution.stocktrades", classified=True)
    records = _run(mesh, EXAMPLE_TRADERS, "example-app", APP_ACCOUNT)
    # The WHERE saw the clear e-mails: Ada's trade matches, Bob's does not.
    assert _clear_values(mesh, "analytics.example_trades") == [
        {"SYMBOL": "ACME", "TRADER_EMAIL": ADA, "PRICE": 700}
    ]
    # The propagated pii column is encrypted again on the output's log.
    [record] = records
    assert sealed_fields(dict(record.headers)[EVENT_HEADER]) == ("TRADER_EMAIL",)
    _no_clear_value(records, ADA, BOB)


def test_without_a_classified_grant_it_computes_over_the_placeholders(
    mesh: MeshRuntime,
) -> None:
    _produce(mesh)
    # An event written before the field was protected holds it in clear, without its
    # header: the data plane's consumer masks it for such a reader, and so does the engine.
    contract = mesh.plane.product("execution.stocktrades").contract
    with ProductProducer(mesh.log, RegistryResolver(mesh.registry), contract) as producer:
        producer.send(
            {
                "symbol": "OLD",
                "side": "SELL",
                "quantity": 1,
                "price": 700,
                "userid": "u-carol",
                "trader_email": CAROL,
            }
        )
    grant(mesh, "execution.stocktrades", classified=False)
    # The WHERE sees the placeholders (null for the encrypted optional e-mail, the mask for
    # the one in clear): nothing matches.
    assert _run(mesh, EXAMPLE_TRADERS, "example-app", APP_ACCOUNT) == []
    # Every trade goes through a projection with the placeholder, never the e-mail.
    records = _run(mesh, ALL_TRADERS, "all-app", APP_ACCOUNT)
    assert len(records) == 3
    _no_clear_value(records, ADA, BOB, CAROL)
    assert _clear_values(mesh, "analytics.all_trades") == [
        {"SYMBOL": "ACME", "TRADER_EMAIL": None, "PRICE": 700},
        {"SYMBOL": "INIT", "TRADER_EMAIL": None, "PRICE": 700},
        {"SYMBOL": "OLD", "TRADER_EMAIL": MASK_TEXT, "PRICE": 700},
    ]


def test_the_operator_reads_in_clear(mesh: MeshRuntime) -> None:
    _produce(mesh)
    _run(mesh, EXAMPLE_TRADERS, "example-app", None)
    assert _clear_values(mesh, "analytics.example_trades") == [
        {"SYMBOL": "ACME", "TRADER_EMAIL": ADA, "PRICE": 700}
    ]


def test_a_crypto_shredded_entity_reads_as_the_placeholder(mesh: MeshRuntime) -> None:
    _produce(mesh)
    forget(mesh.keys, "execution.stocktrades.v1", KeyType.STRING, "ACME", actor="dpo")
    _run(mesh, ALL_TRADERS, "all-app", None)
    # Even the operator: ACME's key is gone, so its e-mail is the placeholder.
    assert _clear_values(mesh, "analytics.all_trades") == [
        {"SYMBOL": "ACME", "TRADER_EMAIL": None, "PRICE": 700},
        {"SYMBOL": "INIT", "TRADER_EMAIL": BOB, "PRICE": 700},
    ]


@pytest.mark.parametrize("classified", [True, False])
def test_a_join_reads_the_table_side_per_its_grant(mesh: MeshRuntime, classified: bool) -> None:
    _produce(mesh)
    grant(mesh, "execution.stocktrades", classified=classified)
    grant(mesh, "members.users", classified=classified)
    records = _run(mesh, EXAMPLE_USERS, "users-app", APP_ACCOUNT)
    _no_clear_value(records, ADA, BOB)
    expected = (
        [{"T_USERID": "u-ada", "SYMBOL": "ACME", "PRICE": 700, "EMAIL": ADA}] if classified else []
    )
    assert _clear_values(mesh, "analytics.example_users") == expected


def test_a_later_query_reads_the_applications_own_output_product_in_clear(
    mesh: MeshRuntime,
) -> None:
    _produce(mesh)
    grant(mesh, "execution.stocktrades", classified=True)
    chained = (
        ALL_TRADERS
        + """
CREATE TABLE example_counts WITH (product='analytics.example_counts') AS
  SELECT symbol, COUNT(*) AS trades FROM all_trades
  WHERE trader_email LIKE '%@example.com' GROUP BY symbol EMIT CHANGES;
"""
    )
    prepared = mesh.streams.prepare(chained, "chain-app", APP_ACCOUNT)
    mesh.streams.publish(prepared, actor="alice")
    with StreamsRunner(
        mesh.log,
        prepared.queries,
        "chain-app",
        resolver=RegistryResolver(mesh.registry),
        protections=prepared.protections,
        decryption=prepared.decryption,
    ) as runner:
        for _ in range(2):  # the second query reads what the first one wrote
            for application in runner.applications:
                application.run_until_idle()
    # The first query encrypted its output; the second read it back in clear to filter it.
    assert _clear_values(mesh, "analytics.example_counts") == [{"SYMBOL": "ACME", "TRADES": 1}]
