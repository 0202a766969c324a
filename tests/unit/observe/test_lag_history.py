"""Consumer lag over time: each pass of the SLO checker keeps every registered group's lag on
a monitored product, one sample a minute, for the product page's chart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from streammesh.observe import SloChecker, SloLedger
from streammesh.sdk import Mesh
from tests.unit.cli.invoking import invoke_cli

PRODUCT = "sales.orders.v1"


def test_the_checker_samples_each_groups_lag_once_a_minute(tmp_path: Path) -> None:
    assert invoke_cli("init", "sales", "--dir", str(tmp_path / "repo")).exit_code == 0
    descriptor = tmp_path / "repo" / "sales" / "orders.yaml"
    descriptor.write_text(
        descriptor.read_text(encoding="utf-8").replace("status: draft", "status: published"),
        encoding="utf-8",
    )
    start = datetime.now(UTC).replace(second=10, microsecond=0)
    moments = iter([start, start + timedelta(seconds=30), start + timedelta(minutes=1)])
    with Mesh.open(tmp_path / "mesh", actor="owner") as mesh:
        mesh.apply([tmp_path / "repo" / "sales"])
        with mesh.producer(PRODUCT) as producer:
            for number in range(3):
                producer.send(
                    {
                        "orders_id": f"o-{number}",
                        "customer_email": "a@example.com",
                        "status": "placed",
                        "updated_at": start,
                    }
                )
        local = mesh.local
        ledger = SloLedger(local.store)
        checker = SloChecker(local.plane, local.log, ledger, clock=lambda: next(moments))
        with mesh.consumer(PRODUCT, "orders-audit") as reader:
            assert reader.poll(10.0) is not None
            reader.commit()
            checker.check()  # 2 behind
            assert reader.poll(10.0) is not None
            reader.commit()
            checker.check()  # 1 behind, the same minute: replaces the first sample
            assert reader.poll(10.0) is not None
            reader.commit()
            checker.check()  # caught up, a minute later

        minute = start.replace(second=0)
        assert local.monitor.lag_history(PRODUCT, since=minute) == {
            "orders-audit": [(minute, 1), (minute + timedelta(minutes=1), 0)]
        }
        assert ledger.lag_history("sales.orders", 1, since=minute + timedelta(minutes=1)) == {
            "orders-audit": [(minute + timedelta(minutes=1), 0)]
        }
