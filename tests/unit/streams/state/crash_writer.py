"""The process :mod:`test_crash` kills: it writes batches to a key-value store on the
embedded log and commits each as the engine would.

argv: log url, state dir, ``plain`` | ``transactional``, how to end: ``loop`` (until
killed), ``kill-unflushed`` or ``kill-flushed`` (in the second batch). Each batch sets every
key to the batch number, then commits; ``committed N`` is printed after each commit.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from streammesh.log import ConsumerOptions, IsolationLevel, ProducerOptions, open_log
from streammesh.streams.state import KeyValueStore, StoreContext, TaskId

KEYS = 50
TRANSACTIONAL_ID = "app-0_0"


def main() -> None:
    url, state_dir, producing, mode = sys.argv[1:5]
    transactional = producing == "transactional"
    log = open_log(url)
    if transactional:
        producer = log.producer(ProducerOptions(transactional_id=TRANSACTIONAL_ID))
        producer.init_transactions()
        reader = log.consumer(ConsumerOptions(isolation_level=IsolationLevel.READ_COMMITTED))
    else:
        producer, reader = log.producer(), log.consumer()
    context = StoreContext(log, Path(state_dir), "app", TaskId(0, 0), 1, producer, reader)
    store = KeyValueStore(context, "totals")
    batch = int(store.get(b"batch") or b"0")

    while True:
        batch += 1
        if transactional:
            producer.begin_transaction()
        for key in range(KEYS):
            store.put(b"k%d" % key, b"%d" % batch)
        store.put(b"batch", b"%d" % batch)
        if mode == "kill-unflushed" and batch > 1:
            os.kill(os.getpid(), signal.SIGKILL)
        store.flush()
        producer.flush()
        if mode == "kill-flushed" and batch > 1:
            os.kill(os.getpid(), signal.SIGKILL)
        if transactional:
            producer.commit_transaction()
        store.commit()
        print("committed", batch, flush=True)


if __name__ == "__main__":
    main()
