"""A running ``streammesh up`` hosts the stream applications deployed over
``POST /api/v1/streams``: the output product receives the results of the events produced
through REST; stopping it leaves no instance; starting it again resumes after its last commit.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from streammesh.log import ConsumerOptions
from streammesh.sdk import Mesh
from tests.integration.api_v1_support import MESH_YAML, avro, descriptor, sources
from tests.support.streammesh_server import StreammeshServer
from tests.support.tansu import GROUP_HEARTBEAT_INTERVAL_MS, GROUP_SESSION_TIMEOUT_MS

HOSTING_INTERVAL_S = 0.25
"""The servers' ``streams.hosting_interval`` here: they read the deployed applications and
heartbeat each one every 0.25 s instead of the default 2 s, so the waits for what a read or a
heartbeat does are short; what a test waits out on purpose is counted in these intervals."""
HOSTING_YAML = MESH_YAML + f"streams:\n  hosting_interval: {int(HOSTING_INTERVAL_S * 1000)}ms\n"

TRADES = "execution.stocktrades"
BIG = "execution.big_trades"
SQL = f"""\
CREATE STREAM big WITH (product='{BIG}') AS
  SELECT trade_id, symbol, price
  FROM {TRADES}
  WHERE price > 500 EMIT CHANGES;
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreammeshServer]:
    mesh = tmp_path_factory.mktemp("hosting") / "mesh"
    mesh.mkdir()
    (mesh / "mesh.yaml").write_text(HOSTING_YAML, encoding="utf-8")
    with StreammeshServer(mesh) as running:
        yield running


@pytest.fixture(scope="module")
def api(served: StreammeshServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {served.admin_token}"}
    with httpx.Client(base_url=f"{served.url}/api/v1", headers=headers, timeout=30) as client:
        _setup(client)
        yield client


def _ok(answer: httpx.Response) -> Any:
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def _setup(client: httpx.Client) -> None:
    _ok(client.post("/domains", json={"name": "execution"}))
    team = {"name": "execution-team", "domain": "execution", "email": "ex@example.com"}
    _ok(client.post("/teams", json=team))
    account = {"name": "big-sa", "kind": "service-account", "team": "execution-team"}
    _ok(client.post("/principals", json=account))
    _ok(client.post("/apply", json=sources((descriptor(TRADES), avro()))))
    request = _ok(
        client.post(
            "/access/requests",
            json={"product": TRADES, "application": "big-sa", "purpose": "tests"},
        )
    )
    if request["state"] != "approved":
        _ok(client.post(f"/access/requests/{request['id']}/approve", json={}))


def _produce(client: httpx.Client, prices: list[float], first: int = 0) -> None:
    events = [
        {"trade_id": f"t{first + n}", "symbol": "ACME", "price": price}
        for n, price in enumerate(prices)
    ]
    _ok(client.post(f"/products/{TRADES}/events", json={"events": events}))


def _wait(what: str, check: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)


class _Output:
    """The output product read through REST as one consumer group, accumulated."""

    def __init__(
        self, client: httpx.Client, *, product: str = BIG, group: str = "hosting-check"
    ) -> None:
        self._client = client
        self._product = product
        self._group = group
        self.ids: list[str] = []

    def read(self) -> list[str]:
        answer = self._client.get(
            f"/products/{self._product}/events", params={"group": self._group, "timeout": 0.5}
        )
        if answer.status_code == 404:  # not published yet: the host publishes it at start
            return self.ids
        self.ids += [event["value"]["TRADE_ID"] for event in _ok(answer)["events"]]
        return self.ids


def _status(client: httpx.Client) -> dict[str, Any]:
    found: dict[str, Any] = _ok(client.get("/streams/big-app"))
    return found


@pytest.mark.slow
def test_the_server_hosts_a_deployed_application(api: httpx.Client) -> None:
    deployed = _ok(
        api.post("/streams", json={"name": "big-app", "sql": SQL, "principal": "big-sa"})
    )
    assert deployed["placement"] == "server" and deployed["desired"] == "running"
    status = _wait("an instance", lambda: _status(api)["alive"] == 1 and _status(api))
    assert status["instances"][0]["error"] is None
    _produce(api, [100.0, 600.0, 700.0, 5.0])
    output = _Output(api)
    _wait("the results", lambda: len(output.read()) >= 2)
    assert sorted(output.read()) == ["t1", "t2"]
    counted = _wait("the counters", lambda: _status(api)["records_in"] >= 4 and _status(api))
    assert counted["records_out"] == 2 and counted["lag"] == 0

    stopped = _ok(api.post("/streams/big-app/stop"))
    assert stopped["desired"] == "stopped"
    _wait("no instance", lambda: _status(api)["alive"] == 0)
    _produce(api, [900.0, 1.0], first=10)
    # Stopped: nothing of the new events is output (six reads of the records meanwhile).
    time.sleep(6 * HOSTING_INTERVAL_S)
    assert sorted(output.read()) == ["t1", "t2"]
    assert _status(api)["lag"] == 2

    _ok(api.post("/streams/big-app/start"))
    _wait("the new result", lambda: "t10" in output.read())
    assert sorted(output.read()) == ["t1", "t10", "t2"]  # resumed after its last commit
    _wait("an instance again", lambda: _status(api)["alive"] == 1)

    _ok(api.post("/streams/big-app/stop"))
    _wait("no instance", lambda: _status(api)["alive"] == 0)
    _ok(api.delete("/streams/big-app"))
    assert api.get("/streams").json() == []


def test_a_failing_application_is_restarted_with_its_error_recorded(
    api: httpx.Client, served: StreammeshServer
) -> None:
    sql = (
        "CREATE STREAM raw (id INT KEY, price INT) WITH (kafka_topic='raw_prices', "
        "value_format='JSON', partitions=1);\n"
        "CREATE STREAM dear WITH (kafka_topic='dear_prices', value_format='JSON') AS\n"
        "  SELECT id, price FROM raw WHERE price > 5 EMIT CHANGES;"
    )
    # The input topic exists when deployed (refused otherwise), then disappears: each run
    # fails until it is back.
    _create_topic(served.mesh, "raw_prices")
    _ok(api.post("/streams", json={"name": "dear-app", "sql": sql}))
    _ok(api.post("/streams/dear-app/stop"))
    _wait("no instance", lambda: _ok(api.get("/streams/dear-app"))["alive"] == 0)
    _delete_topic(served.mesh, "raw_prices")
    _ok(api.post("/streams/dear-app/start"))
    failing = _wait(
        "the error",
        lambda: [
            item
            for item in _ok(api.get("/streams/dear-app"))["instances"]
            if item["error"] and "raw_prices" in item["error"]
        ],
    )
    assert "TopicNotFound" in failing[0]["error"]
    _create_topic(served.mesh, "raw_prices")
    _wait(
        "a run",
        lambda: any(
            query["query"]
            for item in _ok(api.get("/streams/dear-app"))["instances"]
            for query in item["progress"]
        ),
    )
    _ok(api.post("/streams/dear-app/stop"))


def _create_topic(mesh: Path, topic: str) -> None:
    from streammesh.config import MeshConfig
    from streammesh.log import TopicSpec, open_log

    log = open_log(MeshConfig.load(mesh).log_url)
    try:
        log.create_topic(TopicSpec(topic, partitions=1))
    finally:
        log.close()


def _delete_topic(mesh: Path, topic: str) -> None:
    from streammesh.config import MeshConfig
    from streammesh.log import open_log

    log = open_log(MeshConfig.load(mesh).log_url)
    try:
        log.delete_topic(topic)
    finally:
        log.close()


@pytest.mark.slow
def test_a_server_started_with_no_streams_hosts_nothing(tmp_path: Path) -> None:
    mesh = tmp_path / "mesh"
    mesh.mkdir()
    (mesh / "mesh.yaml").write_text(HOSTING_YAML, encoding="utf-8")
    _create_topic(mesh, "raw_prices")
    sql = (
        "CREATE STREAM raw (id INT KEY, price INT) WITH (kafka_topic='raw_prices', "
        "value_format='JSON');\n"
        "CREATE STREAM dear AS SELECT id, price FROM raw WHERE price > 5 EMIT CHANGES;"
    )
    with StreammeshServer(mesh, "--no-streams") as running:
        headers = {"Authorization": f"Bearer {running.admin_token}"}
        with httpx.Client(base_url=f"{running.url}/api/v1", headers=headers) as client:
            _ok(client.post("/streams", json={"name": "idle-app", "sql": sql}))
            # A hosting server of this mesh would read it within one interval (0.25 s) and
            # show it alive about a second later.
            time.sleep(3)
            status = _ok(client.get("/streams/idle-app"))
    assert status["desired"] == "running" and status["alive"] == 0


@pytest.mark.slow
def test_two_servers_over_one_mesh_share_the_partitions(tmp_path: Path) -> None:
    mesh = tmp_path / "mesh"
    mesh.mkdir()
    (mesh / "mesh.yaml").write_text(HOSTING_YAML, encoding="utf-8")
    with StreammeshServer(mesh) as first, StreammeshServer(mesh) as second:
        headers = {"Authorization": f"Bearer {first.admin_token}"}
        with (
            httpx.Client(base_url=f"{first.url}/api/v1", headers=headers, timeout=30) as one,
            httpx.Client(base_url=f"{second.url}/api/v1", headers=headers, timeout=30) as two,
        ):
            _setup(one)
            body = {"name": "shared-app", "sql": SQL, "principal": "big-sa"}
            _ok(one.post("/streams", json=body))
            _produce(two, [600.0 + n for n in range(40)])

            def shared() -> Any:
                status = _ok(two.get("/streams/shared-app"))
                mine = [
                    sorted(p for item in instance["progress"] for p in item["partitions"])
                    for instance in status["instances"]
                ]
                done = status["alive"] == 2 and all(mine) and status["records_out"] == 40
                return done and mine

            split = _wait("two instances sharing the partitions", shared, timeout=90)
            output = _Output(one)
            _wait("every result", lambda: len(output.read()) >= 40)
            results = output.read()
    assert not set(split[0]) & set(split[1])
    assert sorted(split[0] + split[1]) == list(range(len(split[0]) + len(split[1])))
    assert sorted(results) == sorted(f"t{n}" for n in range(40))


@pytest.mark.slow
def test_a_redeployed_application_runs_its_new_script(api: httpx.Client) -> None:
    sql = SQL.replace("big", "dear").replace("big_trades", "dear_trades")
    _ok(api.post("/streams", json={"name": "dear-trades", "sql": sql, "principal": "big-sa"}))
    _wait("an instance", lambda: _ok(api.get("/streams/dear-trades"))["alive"] == 1)
    refused = api.delete("/streams/dear-trades")
    assert refused.status_code == 409  # running: stop it first

    dearer = sql.replace("price > 500", "price > 800")
    _ok(api.post("/streams", json={"name": "dear-trades", "sql": dearer, "principal": "big-sa"}))

    def running_new() -> bool:
        status = _ok(api.get("/streams/dear-trades"))
        return status["alive"] == 1 and status["sql"] == dearer

    _wait("the new script", running_new)
    # The host notices the new record at its next heartbeat (one interval); the old run
    # then stops: the same second of slack as with the default 2 s.
    time.sleep(HOSTING_INTERVAL_S + 1)
    _produce(api, [600.0, 900.0], first=100)
    output = _Output(api, product="execution.dear_trades", group="dear-check")
    _wait("the result", lambda: "t101" in output.read())
    # Both events read and committed (with their outputs, in one transaction): all is out.
    _wait("both events read", lambda: _ok(api.get("/streams/dear-trades"))["lag"] == 0)
    assert "t100" not in output.read()  # 600 passed the old script, not the new one
    _ok(api.post("/streams/dear-trades/stop"))
    _wait("no instance", lambda: _ok(api.get("/streams/dear-trades"))["alive"] == 0)


def test_stopping_the_server_commits_and_leaves(tmp_path: Path) -> None:
    from streammesh.config import MeshConfig
    from streammesh.runtime import MeshRuntime

    mesh = tmp_path / "mesh"
    mesh.mkdir()
    (mesh / "mesh.yaml").write_text(HOSTING_YAML, encoding="utf-8")
    with StreammeshServer(mesh) as running:
        headers = {"Authorization": f"Bearer {running.admin_token}"}
        with httpx.Client(base_url=f"{running.url}/api/v1", headers=headers, timeout=30) as api:
            _setup(api)
            body = {"name": "big-app", "sql": SQL, "principal": "big-sa"}
            _ok(api.post("/streams", json=body))
            _wait("an instance", lambda: _status(api)["alive"] == 1)
            _produce(api, [600.0, 700.0, 1.0])
            _wait("the results", lambda: _status(api)["records_out"] == 2)
        assert running.stop() == 0  # Ctrl-C
    with MeshRuntime.open(MeshConfig.load(mesh)) as runtime:
        status = runtime.streams.status("big-app")
    # It left at once (not three heartbeats later) with everything committed, still to run.
    assert status.instances == () and status.lag == 0
    assert status.app.desired.value == "running"


@pytest.mark.slow
def test_a_grant_revoked_while_hosted_stops_the_application_until_granted_again(
    tmp_path: Path,
) -> None:
    mesh = tmp_path / "mesh"
    mesh.mkdir()
    (mesh / "mesh.yaml").write_text(HOSTING_YAML, encoding="utf-8")
    with StreammeshServer(mesh) as running:
        headers = {"Authorization": f"Bearer {running.admin_token}"}
        with httpx.Client(base_url=f"{running.url}/api/v1", headers=headers, timeout=30) as api:
            _setup(api)
            [grant] = _ok(api.get("/access/requests", params={"principal": "big-sa"}))
            _ok(api.post("/streams", json={"name": "big-app", "sql": SQL, "principal": "big-sa"}))
            _wait("an instance", lambda: _status(api)["alive"] == 1)
            _produce(api, [600.0, 700.0])
            output = _Output(api)
            _wait("the results", lambda: len(output.read()) >= 2)

            _ok(api.post(f"/access/grants/{grant['id']}/revoke", json={}))

            def stopped_for_the_grant() -> Any:
                errors = [item["error"] or "" for item in _status(api)["instances"]]
                return [e for e in errors if "grant" in e and "execution.stocktrades.v1" in e]

            [error] = _wait("the recorded error", stopped_for_the_grant, timeout=20)
            assert error.startswith(("GrantRevoked: ", "GrantMissing: ")), error
            _produce(api, [800.0], first=10)
            # The host retries 1 s after the failure (the first backoff), refused without the
            # grant; its error is heartbeated meanwhile.
            time.sleep(2.5)
            assert sorted(output.read()) == ["t0", "t1"]  # nothing after the revocation
            assert _status(api)["lag"] == 1

            again = _ok(
                api.post(
                    "/access/requests",
                    json={"product": TRADES, "application": "big-sa", "purpose": "back"},
                )
            )
            if again["state"] != "approved":
                _ok(api.post(f"/access/requests/{again['id']}/approve", json={}))
            _wait("the result once granted again", lambda: "t10" in output.read(), timeout=90)
            assert sorted(output.read()) == ["t0", "t1", "t10"]


@pytest.mark.slow
@pytest.mark.kafka
def test_the_server_hosts_an_application_on_kafka_and_postgresql(
    tmp_path: Path, kafka_bootstrap: str, migrated_postgres_url: str
) -> None:
    # The broker is shared by the session: a domain of this test's own.
    domain = f"hk{uuid.uuid4().hex[:8]}"
    trades, big = f"{domain}.stocktrades", f"{domain}.big_trades"
    mesh = tmp_path / "mesh"
    mesh.mkdir()
    (mesh / "mesh.yaml").write_text(HOSTING_YAML, encoding="utf-8")
    log_url = f"kafka://{kafka_bootstrap}"
    with StreammeshServer(mesh, "--log", log_url, "--store", migrated_postgres_url) as running:
        headers = {"Authorization": f"Bearer {running.admin_token}"}
        with httpx.Client(base_url=f"{running.url}/api/v1", headers=headers, timeout=30) as api:
            team = f"{domain}-team"
            _ok(api.post("/domains", json={"name": domain}))
            _ok(api.post("/teams", json={"name": team, "domain": domain, "email": "k@x.com"}))
            account = {"name": f"{domain}-sa", "kind": "service-account", "team": team}
            _ok(api.post("/principals", json=account))
            product = descriptor(trades).replace("execution-team", team)
            _ok(api.post("/apply", json=sources((product, avro()))))
            request = {"product": trades, "application": f"{domain}-sa", "purpose": "tests"}
            granted = _ok(api.post("/access/requests", json=request))
            if granted["state"] != "approved":
                _ok(api.post(f"/access/requests/{granted['id']}/approve", json={}))

            sql = SQL.replace(BIG, big).replace(TRADES, trades)
            body = {"name": "kafka-app", "sql": sql, "principal": f"{domain}-sa"}
            deployed = _ok(api.post("/streams", json=body))
            assert deployed["placement"] == "server"
            _wait(
                "an instance",
                lambda: _ok(api.get("/streams/kafka-app"))["alive"] == 1,
                timeout=90,
            )
            events = [
                {"trade_id": f"k{n}", "symbol": "ACME", "price": price}
                for n, price in enumerate([100.0, 600.0, 700.0, 5.0])
            ]
            _ok(api.post(f"/products/{trades}/events", json={"events": events}))
            # Read on Kafka with the SDK (one consumer, not one group join per REST call).
            options = ConsumerOptions(
                session_timeout_ms=GROUP_SESSION_TIMEOUT_MS,
                heartbeat_interval_ms=GROUP_HEARTBEAT_INTERVAL_MS,
            )
            with (
                Mesh.open(mesh, log_url=log_url, store_url=migrated_postgres_url) as opened,
                opened.consumer(big, f"{domain}-check", options=options) as consumer,
            ):
                received = consumer.take(2, timeout=60)
                received += consumer.take(1, timeout=2)  # a third would be a mistake
            assert sorted(event.value["TRADE_ID"] for event in received) == ["k1", "k2"]
            status = _wait(
                "the counters",
                lambda: (found := _ok(api.get("/streams/kafka-app")))["records_in"] >= 4 and found,
                timeout=60,
            )
            assert status["records_out"] == 2 and status["instances"][0]["error"] is None
            _ok(api.post("/streams/kafka-app/stop"))
            _wait("no instance", lambda: _ok(api.get("/streams/kafka-app"))["alive"] == 0)
    # The record is in PostgreSQL, the results on Kafka.
    from streammesh.store import open_store
    from streammesh.streams.apps import AppStore

    with open_store(migrated_postgres_url) as store:
        assert AppStore(store).app("kafka-app").desired.value == "stopped"
