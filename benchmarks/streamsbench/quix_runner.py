"""The two benchmark pipelines written with Quix Streams, run in their own interpreter.

``streams.py`` starts this file with the interpreter that has ``quixstreams`` (it pins
confluent-kafka below 2.13, so it lives in a virtual environment of its own, see
``benchmarks/README.md``) and reads one JSON line from its stdout:

    {"events": 100000, "seconds": 2.31, "outputs": 25012}

The clock starts when the first input message enters the pipeline (after the group join and
partition assignment, which are not timed) and stops when ``Application.run`` returns after
the N-th input message: Quix then commits its last checkpoint, which flushes the producer
(and commits the transaction) — every output is written and durable.

    python quix_runner.py --bootstrap 127.0.0.1:9092 --pipeline filter_project \
        --input bench.events --output quix.filtered --events 100000 --state-dir /tmp/x
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import timedelta
from typing import Any

from quixstreams import Application

# Short group sessions: tansu holds a group join for about half the session timeout
# (librdkafka's default 45 s -> ~22 s); the join is not timed, but it would eat the budget.
_CONSUMER = {"session.timeout.ms": 2000, "heartbeat.interval.ms": 200}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--pipeline", choices=("filter_project", "tumbling_count"), required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--guarantee", default="exactly-once")
    parser.add_argument(
        "--emit",
        choices=("final", "current"),
        default="final",
        help="tumbling_count: one output per closed window, or one per update",
    )
    args = parser.parse_args()

    clock: dict[str, float] = {}
    seen = 0

    def first(value: Any) -> None:
        if "start" not in clock:
            clock["start"] = time.perf_counter()

    def processed(topic: str, partition: int, offset: int) -> None:
        nonlocal seen
        seen += 1
        if seen == args.events:
            clock["last"] = time.perf_counter()
            app.stop()

    app = Application(
        broker_address=args.bootstrap,
        consumer_group=args.group,
        auto_offset_reset="earliest",
        state_dir=args.state_dir,
        processing_guarantee=args.guarantee,
        consumer_extra_config=_CONSUMER,
        loglevel="WARNING",
        on_message_processed=processed,
    )
    source = app.topic(args.input, key_deserializer="str", value_deserializer="json")
    sink = app.topic(args.output, key_serializer="str", value_serializer="json")

    sdf = app.dataframe(source)
    sdf = sdf.update(first)
    if args.pipeline == "filter_project":
        sdf = sdf.filter(lambda v: v["price"] > 500 and v["qty"] > 2500)
        sdf = sdf.apply(
            lambda v: {
                "ID": v["id"],
                "TOTAL": v["price"] * v["qty"],
                "REGION": v["region"].lower(),
            }
        )
    else:
        window = sdf.tumbling_window(timedelta(minutes=1)).count()
        sdf = window.final() if args.emit == "final" else window.current()
    sdf.to_topic(sink)
    app.run()
    end = time.perf_counter()
    if seen < args.events:
        print(f"quix stopped after {seen} of {args.events} events", file=sys.stderr)
        return 1
    result = {
        "events": seen,
        "seconds": end - clock["start"],
        "stop_to_return_seconds": end - clock["last"],
    }
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
