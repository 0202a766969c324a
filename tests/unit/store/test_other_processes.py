"""A long-running process (a server) sees what other processes (CLI commands, replicas) commit
to the same SQLite store, however often it checks its file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from streammesh.identity import Role, TokenStore
from streammesh.store import default_store_url, open_store

_REVOKE = """
import sys
from streammesh.identity import TokenStore
from streammesh.store import open_store
with open_store(sys.argv[1]) as store:
    TokenStore(store).revoke(sys.argv[2])
"""


def test_a_commit_of_another_process_is_seen_by_an_open_store(tmp_path: Path) -> None:
    url = default_store_url(tmp_path)
    with open_store(url) as server:
        tokens = TokenStore(server)
        first, second = (tokens.create(name, Role.MEMBER) for name in ("a", "b"))
        for issued in (first, second):
            assert tokens.verify(issued.secret) is not None
            server.check()  # what every write and the health probe run
            subprocess.run(
                [sys.executable, "-c", _REVOKE, url, issued.token_id], check=True, timeout=60
            )
            assert tokens.verify(issued.secret) is None, "a stale view of the store"
