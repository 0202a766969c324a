"""Every classification is protected by default: a ``health`` field is encrypted on the log,
masked for a grant without classified fields, in clear for one with them; and the compliance
report flags a product whose stream holds events written in clear under a label that is
protected now."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from streammesh.identity import Role, TokenStore
from streammesh.privacy import MASK_TEXT
from streammesh.server.settings import ServerSettings
from streammesh.store import open_store
from tests.integration.api_v1_support import Served, avro, descriptor, serve, sources

API = "/api/v1"
PRODUCT = "execution.stocktrades"
EVENTS = f"/products/{PRODUCT}/events"
NOTE = {"name": "note", "type": "string", "doc": "The trader's health remark."}
HEALTH_NOTE = "trader on sick leave since 2026-11-02"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """A mesh with team risk-team and its application ``risk-app``; no product yet."""
    for server in serve(tmp_path / "mesh"):
        _call(server, "POST", "/teams", 200, json={"name": "risk-team"})
        account = {"name": "risk-app", "kind": "service-account", "team": "risk-team"}
        _call(server, "POST", "/principals", 201, json=account)
        yield server


def _call(
    served: Served, method: str, path: str, status: int, role: Role = Role.PLATFORM_ADMIN, **kw: Any
) -> Any:
    response = served.client.request(method, f"{API}{path}", headers=served.headers(role), **kw)
    assert response.status_code == status, response.text
    return response.json()


def _apply_and_produce(served: Served, *trade_ids: str) -> None:
    extra = "classifications: {note: [health]}\n"
    _call(served, "POST", "/apply", 200, json=sources((descriptor(extra=extra), avro(NOTE))))
    _produce(served, *trade_ids)


def _produce(served: Served, *trade_ids: str) -> None:
    events = [
        {"trade_id": trade_id, "symbol": "ACME", "price": 1.0, "note": HEALTH_NOTE}
        for trade_id in trade_ids
    ]
    _call(served, "POST", EVENTS, 200, json={"events": events})


def _grant(served: Served, *, classified: bool) -> None:
    body = {"product": PRODUCT, "application": "risk-app", "purpose": "x", "classified": classified}
    request = _call(served, "POST", "/access/requests", 201, json=body)
    assert request["state"] == "requested"  # a classified field: the owners decide
    _call(served, "POST", f"/access/requests/{request['id']}/approve", 200, json={})


def _notes_read_by_risk_app(served: Served, group: str) -> list[str]:
    with open_store(ServerSettings(mesh=served.mesh).resolved_store_url) as store:
        secret = TokenStore(store).create("risk-app", Role.CONSUMER).secret
    answer = served.client.get(
        f"{API}{EVENTS}",
        params={"group": group, "max": 10, "timeout": 5},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert answer.status_code == 200, answer.text
    return [event["value"]["note"] for event in answer.json()["events"]]


def test_a_health_field_is_encrypted_on_the_log_and_revealed_only_to_classified_grants(
    served: Served,
) -> None:
    _apply_and_produce(served, "t-1")

    on_disk = [path for path in served.mesh.rglob("*") if path.is_file()]
    assert on_disk
    assert not [path for path in on_disk if HEALTH_NOTE.encode() in path.read_bytes()]

    _grant(served, classified=False)
    assert _notes_read_by_risk_app(served, "risk-masked") == [MASK_TEXT]
    _grant(served, classified=True)
    assert _notes_read_by_risk_app(served, "risk-clear") == [HEALTH_NOTE]


def _report_findings(served: Served) -> list[dict[str, Any]]:
    report = _call(served, "GET", "/governance/report", 200, role=Role.GOVERNANCE)
    (product,) = [item for item in report["products"] if item["product"] == f"{PRODUCT}.v1"]
    return [item for item in product["findings"] if item["rule"] == "fields.protected"]


def test_the_report_flags_events_written_in_clear_under_a_label_protected_now(
    served: Served,
) -> None:
    # A global policy that protects only pii and financial: the health note goes in clear.
    narrow = {"rules": {"fields.protected": {"classifications": ["pii", "financial"]}}}
    _call(served, "PUT", "/governance/policy", 200, role=Role.GOVERNANCE, json={"policy": narrow})
    _apply_and_produce(served, "t-1", "t-2")
    assert _report_findings(served) == []  # health is not protected: nothing to flag

    # Back to the default (every label protected): new events are encrypted, the old stay.
    _call(served, "PUT", "/governance/policy", 200, role=Role.GOVERNANCE, json={"policy": {}})
    _produce(served, "t-3")

    (finding,) = _report_findings(served)
    assert finding["field"] == "note" and finding["severity"] == "error"
    assert "'note' (classified health) is held in clear in 2 of the 3 events" in finding["message"]
    report = _call(served, "GET", "/governance/report", 200, role=Role.CONSUMER)
    (product,) = [item for item in report["products"] if item["product"] == f"{PRODUCT}.v1"]
    assert not product["compliant"]
