"""The command line starts without loading the mesh: ``--version`` and ``--help`` stay quick."""

from __future__ import annotations

import json
import subprocess
import sys

# What a command loads when it runs; printing the version or a help page needs none of it.
HEAVY_PACKAGES = (
    "streammesh.sdk",
    "streammesh.control",
    "streammesh.connect",
    "streammesh.dataplane",
    "streammesh.streams",
    "streammesh.server",
)
# The server's face and its settings are light by design (``up``'s options are its settings);
# its web stack (FastAPI, the routes) is what must not load.
SERVER_SETTINGS = ["streammesh.server", "streammesh.server.settings"]

_PROBE = """
import contextlib, io, json, sys

import typer
from typer.core import TyperGroup

from streammesh.cli.main import app, run

command = typer.main.get_command(app)
assert isinstance(command, TyperGroup)
groups = [name for name, sub in command.commands.items() if isinstance(sub, TyperGroup)]
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    codes = [run(["--version"]), run(["--help"])] + [run([name, "--help"]) for name in groups]
heavy = tuple(sys.argv[1:])
loaded = sorted(m for m in sys.modules if m in heavy or m.startswith(tuple(h + "." for h in heavy)))
print(json.dumps({"groups": groups, "codes": codes, "loaded": loaded}))
"""


def test_version_and_help_load_no_mesh_package() -> None:
    # A fresh interpreter: this test process has long imported everything.
    completed = subprocess.run(
        [sys.executable, "-c", _PROBE, *HEAVY_PACKAGES],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    outcome = json.loads(completed.stdout)
    assert "governance" in outcome["groups"]  # the groups' help pages were built and shown
    assert set(outcome["codes"]) == {0}
    assert [name for name in outcome["loaded"] if name not in SERVER_SETTINGS] == []
