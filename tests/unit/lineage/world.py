"""A mesh whose lineage is known, built through the real control plane and SDK.

Products (one partition each)::

    execution.trades.v1   team execution-team, owner ada@example.com, port parquet s3://lake/trades
      └─ analytics.volumes.v1 (upstreams: execution.trades), team analytics-team, bob@example.com
           └─ reporting.daily.v1 (upstreams: analytics.volumes), team reporting-team

Consuming applications registered through the SDK consumer: ``fraud-detector`` (group of the
same name) reads ``execution.trades``; ``dashboard`` reads ``reporting.daily``. ``fraud-detector``
is a service account of ``risk-team`` (e-mail risk@example.com).
"""

from __future__ import annotations

import json
from pathlib import Path

from streammesh.identity import AccountKind, AccountStore
from streammesh.sdk import Mesh
from streammesh.sdk.local import InProcessMesh

TRADES = "execution.trades"
VOLUMES = "analytics.volumes"
DAILY = "reporting.daily"

_SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "Row",
        "fields": [
            {"name": "id", "type": "string", "doc": "Identifier."},
            {"name": "amount", "type": "double", "doc": "Amount in euros."},
        ],
    }
)
_MESH_YAML = """\
lifecycle:
  min_published_before_deprecate: 0d
  min_deprecated_before_retire: 0d
"""


def _descriptor(name: str, team: str, email: str, extra: str = "") -> str:
    return (
        f"name: {name}\n"
        f"owner: {{name: Owner Of {name}, email: {email}}}\n"
        f"team: {team}\n"
        "description: Rows for lineage tests.\n"
        "alignment: source\n"
        "kind: state\n"
        "key: {field: id, type: string}\n"
        "schema: rows.avsc\n"
        "partitions: xs\n"
        "sla: {tier: 2}\n"
        "status: published\n"
        f"{extra}"
    )


def write_products(repo: Path) -> list[Path]:
    """The three descriptors (and their schema) under ``repo``; returns their paths."""
    repo.mkdir(parents=True, exist_ok=True)
    (repo / "rows.avsc").write_text(_SCHEMA, encoding="utf-8")
    texts = {
        "trades.yaml": _descriptor(
            TRADES,
            "execution-team",
            "ada@example.com",
            "ports:\n  - {name: daily-files, kind: parquet, description: Daily files, "
            "location: 's3://lake/trades'}\n",
        ),
        "volumes.yaml": _descriptor(
            VOLUMES, "analytics-team", "bob@example.com", f"upstreams: [{TRADES}]\n"
        ),
        "daily.yaml": _descriptor(
            DAILY, "reporting-team", "cy@example.com", f"upstreams: [{VOLUMES}]\n"
        ),
    }
    paths = []
    for file_name, text in texts.items():
        path = repo / file_name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def open_world(home: Path, *, store_url: str | None = None) -> InProcessMesh:
    """The mesh described in the module docstring, open (close it when done)."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "mesh.yaml").write_text(_MESH_YAML, encoding="utf-8")
    mesh = Mesh.open(home, store_url=store_url, actor="tester")
    try:
        mesh.apply(write_products(home.parent / "repo"))
        mesh.register_team("risk-team", email="risk@example.com")
        AccountStore(mesh.local.store).create(
            "fraud-detector", AccountKind.SERVICE_ACCOUNT, team="risk-team", actor="tester"
        )
        mesh.consumer(TRADES, "fraud-detector").close()
        mesh.consumer(DAILY, "dashboard").close()
    except BaseException:
        mesh.close()
        raise
    return mesh
