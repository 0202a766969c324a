"""The stream-application lifecycle on ``runtime.streams``: deploy, list, status, stop, start,
reset, delete and heartbeats, recorded in the metadata store (SQLite and PostgreSQL) and
audited, with lag and reset done on the log."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from streammesh.audit import AuditAction, AuditLog
from streammesh.log import TopicNotFound
from streammesh.runtime import MeshRuntime
from streammesh.streams import (
    ApplicationRunning,
    Desired,
    InvalidApplicationName,
    Placement,
    PlacementConflict,
    QueryProgress,
    StreamsError,
    StreamsRunner,
    UnknownApplication,
    prepare_state_dir,
)
from streammesh.streams.apps import AppLifecycle, AppStore
from tests.unit.streams.apps.conftest import COUNTS, FILTER, send


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2027, 1, 4, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now


def _progress(query: str, records_in: int, records_out: int) -> QueryProgress:
    return QueryProgress(query, "app", "BIG", records_in, records_out, 1, 0, None, 2.0, 1.0)


def _run_once(runtime: MeshRuntime, name: str, sql: str, records: int = 4) -> StreamsRunner:
    """A runner of ``sql`` that read and committed ``records`` input records."""
    prepared = runtime.streams.prepare(sql, name, None)
    runner = StreamsRunner(runtime.log, prepared.queries, name)
    runner.start()
    deadline = time.monotonic() + 10
    while sum(item.records_in for item in runner.progress()) < records:
        assert time.monotonic() < deadline, "the runner read nothing"
        runner.poll_round()
    return runner


def test_deploy_records_the_application_to_run_and_audits_it(runtime: MeshRuntime) -> None:
    app = runtime.streams.deploy(
        "big-trades", FILTER, principal=None, placement="process", actor="cli:ada"
    )

    assert (app.name, app.placement, app.desired, app.epoch) == (
        "big-trades",
        Placement.PROCESS,
        Desired.RUNNING,
        0,
    )
    assert app.created_by == "cli:ada" and app.sql == FILTER
    [query] = app.queries
    assert (query.group, query.sink, query.inputs) == ("big-trades", "BIG", ("trades",))
    [listed] = runtime.streams.applications()
    assert listed.app == app and listed.instances == () and listed.to_json()["alive"] == 0
    [entry] = AuditLog(runtime.store).entries(subject="stream-app:big-trades")
    assert entry.action is AuditAction.STREAM_APP_DEPLOYED and entry.actor == "cli:ada"


def test_deploying_again_replaces_the_script_and_keeps_creation(runtime: MeshRuntime) -> None:
    first = runtime.streams.deploy("app", FILTER, principal=None, placement="server", actor="ada")
    runtime.streams.stop("app", actor="bob")
    again = runtime.streams.deploy("app", COUNTS, principal=None, placement="process", actor="cy")

    assert again.sql == COUNTS and again.placement is Placement.PROCESS
    assert again.desired is Desired.RUNNING and again.stopped_by is None
    assert (again.created_by, again.created_at) == (first.created_by, first.created_at)
    assert again.queries[0].changelogs  # the aggregation's store


def test_a_running_application_is_not_taken_over_by_the_other_placement(
    runtime: MeshRuntime,
) -> None:
    runtime.streams.deploy("hosted", FILTER, principal=None, placement="server", actor="ada")
    with pytest.raises(PlacementConflict) as refused:  # what 'streams run --name hosted' does
        runtime.streams.deploy("hosted", FILTER, principal=None, placement="process", actor="b")
    assert str(refused.value) == (
        "stream application 'hosted' is deployed to the server (placement server) and should "
        "be running; to run it as its own process instead, stop it first ('streammesh streams "
        "stop hosted'), or use another name"
    )
    assert runtime.streams.application("hosted").placement is Placement.SERVER
    runtime.streams.stop("hosted", actor="ada")  # stopped, it may move
    moved = runtime.streams.deploy("hosted", FILTER, principal=None, placement="process", actor="b")
    assert (moved.placement, moved.desired) == (Placement.PROCESS, Desired.RUNNING)
    with pytest.raises(PlacementConflict, match="runs as its own process"):
        runtime.streams.deploy("hosted", FILTER, principal=None, placement="server", actor="c")


def test_record_keeps_the_descriptor_file_given_with_the_script(runtime: MeshRuntime) -> None:
    prepared = runtime.streams.prepare(FILTER, "app", None)

    app = runtime.streams.record(prepared, placement="server", actor="a", descriptor="a: 1\n")

    assert runtime.streams.application("app").descriptor == "a: 1\n" == app.descriptor
    assert runtime.streams.status("app").to_json()["descriptor"] == "a: 1\n"


def test_a_bad_script_or_name_records_nothing(runtime: MeshRuntime) -> None:
    with pytest.raises(StreamsError, match="line"):
        runtime.streams.deploy(
            "app", "CREATE STREAM x AS SELEC", principal=None, placement="process", actor="a"
        )
    with pytest.raises(InvalidApplicationName, match="Big_App"):
        runtime.streams.deploy("Big_App", FILTER, principal=None, placement="process", actor="a")

    assert runtime.streams.applications() == []
    assert AuditLog(runtime.store).entries(subject_prefix="stream-app:") == []


def test_an_unknown_application_suggests_the_nearest(runtime: MeshRuntime) -> None:
    runtime.streams.deploy("big-trades", FILTER, principal=None, placement="process", actor="a")

    with pytest.raises(UnknownApplication, match="did you mean 'big-trades'"):
        runtime.streams.status("big-trade")
    with pytest.raises(UnknownApplication, match="streams list"):
        runtime.streams.stop("nothing-like-it", actor="a")


def test_stop_and_start_change_desired_once_and_say_who(runtime: MeshRuntime) -> None:
    runtime.streams.deploy("app", FILTER, principal=None, placement="process", actor="ada")

    stopped = runtime.streams.stop("app", actor="cli:bob")
    runtime.streams.stop("app", actor="cli:cy")  # already stopped: nothing changes

    assert (stopped.desired, stopped.stopped_by) == (Desired.STOPPED, "cli:bob")
    assert runtime.streams.desired("app") is Desired.STOPPED
    started = runtime.streams.start("app", actor="cli:dee")
    assert (started.desired, started.stopped_by) == (Desired.RUNNING, None)
    actions = [e.action for e in AuditLog(runtime.store).entries(subject="stream-app:app")]
    assert actions == [
        AuditAction.STREAM_APP_DEPLOYED,
        AuditAction.STREAM_APP_STOPPED,
        AuditAction.STREAM_APP_STARTED,
    ]


def test_status_sums_live_instances_and_reads_lag_per_partition(runtime: MeshRuntime) -> None:
    runtime.streams.deploy("app", FILTER, principal=None, placement="process", actor="ada")
    send(runtime.log, [("a", 100), ("b", 900), ("c", 700), ("d", 50)])
    with _run_once(runtime, "app", FILTER):
        pass  # committed every record it read
    send(runtime.log, [("a", 600), ("b", 800), ("e", 10)])
    clock = Clock()
    lifecycle = AppLifecycle(AppStore(runtime.store), runtime.log, clock=clock)
    query = runtime.streams.application("app").queries[0].id
    for instance, counts in (("one", (3, 1)), ("two", (1, 1))):
        lifecycle.heartbeat(
            "app", instance, [_progress(query, *counts)], None, host="h", pid=1, interval_s=5
        )
    clock.now += timedelta(seconds=10)
    lifecycle.heartbeat(
        "app", "two", [_progress(query, 4, 2)], "boom", host="h2", pid=2, interval_s=5
    )

    status = lifecycle.status("app")

    assert [i.instance for i in status.instances] == ["one", "two"]
    assert status.instances[1].error == "boom"
    [counters] = status.queries
    assert (counters.records_in, counters.records_out, counters.dead_letters) == (7, 3, 2)
    assert counters.in_per_s == 4.0
    partitions = {(lag.topic, lag.partition): lag.lag for lag in counters.partitions}
    assert set(partitions) == {("trades", 0), ("trades", 1)}
    assert sum(partitions.values()) == 3 == status.lag  # the three trades sent after the run
    clock.now += timedelta(seconds=11)  # "one" last seen 21 s ago: over 3 intervals of 5 s
    assert [i.instance for i in lifecycle.status("app").instances] == ["two"]
    document = lifecycle.applications()[0].to_json()
    assert document["alive"] == 1 and document["queries"][0]["lag"] == 3
    lifecycle.heartbeat("app", "two", [], None, host="h2", pid=2, interval_s=5)
    assert [i.instance for i in AppStore(runtime.store).instances("app")] == ["two"]


def test_dead_letters_are_counted_on_the_topic_after_the_process_left(
    runtime: MeshRuntime,
) -> None:
    runtime.streams.deploy("app", FILTER, principal=None, placement="process", actor="ada")
    send(runtime.log, [("a", 900), ("b", 800)])
    with runtime.log.producer() as producer:
        producer.send("trades", b"not json", key=b"c")
        producer.flush()
    with _run_once(runtime, "app", FILTER, records=3):
        pass

    status = runtime.streams.status("app")

    assert status.instances == () and status.queries[0].dead_letters == 0  # no live counters
    assert status.queries[0].dead_letter_topic == "app.dead-letter"
    assert status.queries[0].dead_letter_records == 1 == status.dead_letters
    assert runtime.streams.applications()[0].to_json()["dead_letters"] == 1


def test_reset_is_refused_while_an_instance_is_alive(runtime: MeshRuntime) -> None:
    runtime.streams.deploy("app", COUNTS, principal=None, placement="process", actor="ada")
    runtime.streams.heartbeat("app", "p1", [], None, host="h", pid=os.getpid(), interval_s=60)

    with pytest.raises(ApplicationRunning, match="streams stop app"):
        runtime.streams.reset("app", actor="ada")
    with pytest.raises(ApplicationRunning):
        runtime.streams.delete("app", actor="ada")

    assert runtime.streams.application("app").epoch == 0
    runtime.streams.leave("app", "p1")
    assert runtime.streams.reset("app", actor="ada").epoch == 1


def test_reset_starts_over_and_keeps_outputs_and_dead_letters(runtime: MeshRuntime) -> None:
    app = runtime.streams.deploy("app", COUNTS, principal=None, placement="process", actor="a")
    [query] = app.queries
    send(runtime.log, [("a", 1), ("b", 2), ("a", 3), ("c", 4)])
    with _run_once(runtime, "app", COUNTS):
        pass
    committed = runtime.log.committed_offsets("app", "trades")
    assert sum(offset or 0 for offset in committed.values()) == 4
    [changelog] = query.changelogs
    runtime.log.describe_topic(changelog)

    reset = runtime.streams.reset("app", actor="cli:ada")

    assert reset.epoch == 1
    assert runtime.log.committed_offsets("app", "trades") == {0: 0, 1: 0}
    with pytest.raises(TopicNotFound):
        runtime.log.describe_topic(changelog)
    runtime.log.describe_topic("COUNTS")  # the output stays
    runtime.log.describe_topic("app.dead-letter")
    entry = AuditLog(runtime.store).entries(subject="stream-app:app")[-1]
    assert entry.action is AuditAction.STREAM_APP_RESET and changelog in (entry.note or "")
    assert runtime.streams.status("app").lag == 4  # everything is to be read again


def test_delete_removes_the_record_offsets_and_internal_topics(runtime: MeshRuntime) -> None:
    app = runtime.streams.deploy("app", COUNTS, principal=None, placement="process", actor="a")
    send(runtime.log, [("a", 1), ("b", 2)])
    with _run_once(runtime, "app", COUNTS, records=2):
        pass

    runtime.streams.delete("app", actor="cli:ada")

    assert runtime.streams.applications() == []
    with pytest.raises(UnknownApplication):
        runtime.streams.heartbeat("app", "p1", [], None, host="h", pid=1, interval_s=1)
    with pytest.raises(TopicNotFound):
        runtime.log.describe_topic(app.queries[0].changelogs[0])
    assert runtime.log.committed_offsets("app", "trades") == {0: 0, 1: 0}
    actions = [e.action for e in AuditLog(runtime.store).entries(subject="stream-app:app")]
    assert actions[-1] is AuditAction.STREAM_APP_DELETED


def test_local_state_of_an_older_epoch_is_wiped(runtime: MeshRuntime, tmp_path: Path) -> None:
    app = runtime.streams.deploy("app", COUNTS, principal=None, placement="process", actor="a")
    state = tmp_path / "state" / "app"

    assert prepare_state_dir(state, app) is False
    (state / "app" / "0_0").mkdir(parents=True)
    assert prepare_state_dir(state, app) is False  # same epoch: kept
    assert (state / "app" / "0_0").is_dir()
    reset = runtime.streams.reset("app", actor="a")
    assert prepare_state_dir(state, reset) is True
    assert not (state / "app").exists() and state.is_dir()
