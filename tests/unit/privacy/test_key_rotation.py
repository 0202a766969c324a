"""``streammesh keys rotate``: every data key re-wrapped under a new master key, the events
untouched and still readable; an interrupted rotation continues where it stopped; each
completed run is audited."""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path

import pytest
import sqlalchemy as sa

from streammesh.audit import AuditAction, AuditLog, AuditRecord
from streammesh.config import MeshConfig
from streammesh.log.base import ConsumerOptions, OffsetReset
from streammesh.privacy import (
    KmsError,
    LocalKms,
    MasterKeySource,
    RotationProgress,
    rotate_keys,
)
from streammesh.privacy.tables import data_keys
from streammesh.runtime import MeshRuntime
from streammesh.sdk import Mesh
from tests.unit.cli.invoking import invoke_cli

USERS = [f"user-{index}" for index in range(7)]
TOPIC = "sales.orders.v1"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A mesh holding one classified event per user of ``sales.orders`` (7 data keys)."""
    assert invoke_cli("init", "sales", "--dir", str(tmp_path / "repo")).exit_code == 0
    home = tmp_path / "home"
    with Mesh.open(home, actor="tester") as mesh:
        mesh.apply([tmp_path / "repo" / "sales"])
        with mesh.producer("sales.orders") as producer:
            for user in USERS:
                producer.send(
                    {
                        "orders_id": user,
                        "customer_email": f"{user}@example.com",
                        "status": "new",
                        "updated_at": 1_700_000_000_000,
                    }
                )
            producer.flush()
    return home


def _new_key(path: Path) -> Path:
    path.write_text(base64.b64encode(secrets.token_bytes(32)).decode() + "\n")
    path.chmod(0o600)
    return path


def _configure(home: Path, current: Path, *previous: Path) -> None:
    lines = ["privacy:", "  kms:", "    type: local", f"    key_file: {current}"]
    if previous:
        lines.append("    previous:")
        lines += [f"      - key_file: {path}" for path in previous]
    (home / "mesh.yaml").write_text("\n".join(lines) + "\n")


def _emails(home: Path, group: str) -> dict[str, str]:
    with Mesh.open(home, actor="tester") as mesh, mesh.consumer("sales.orders", group) as reader:
        events = reader.take(len(USERS), timeout=10)
    return {str(event.key): str((event.value or {})["customer_email"]) for event in events}


def _raw(home: Path) -> list[tuple[bytes | None, list[tuple[str, bytes]]]]:
    with MeshRuntime.open(MeshConfig.load(home)) as mesh:
        consumer = mesh.log.consumer(
            ConsumerOptions(
                group=f"raw-{secrets.token_hex(3)}", auto_offset_reset=OffsetReset.EARLIEST
            )
        )
        consumer.subscribe([TOPIC])
        records = []
        for _ in range(50):
            records.extend(consumer.poll(0.2))
            if len(records) >= len(USERS):
                break
        consumer.close()
    return sorted((record.value, list(record.headers)) for record in records)


def _kek_ids(home: Path) -> list[str]:
    with MeshRuntime.open(MeshConfig.load(home)) as mesh, mesh.store.read() as connection:
        return sorted(connection.execute(sa.select(data_keys.c.kek_id)).scalars())


def _rotate(home: Path, *args: str) -> dict[str, object]:
    result = invoke_cli("keys", "rotate", *args, "--json", "--mesh", str(home))
    assert result.exit_code == 0, result.stderr
    summary: dict[str, object] = json.loads(result.stdout)
    return summary


def test_rotation_to_a_new_key_keeps_every_event_readable(home: Path, tmp_path: Path) -> None:
    old = home / "privacy" / "master.key"
    old_id = LocalKms(old).key_id
    before = _raw(home)
    new = _new_key(tmp_path / "new.key")
    new_id = LocalKms(MasterKeySource(file=new)).key_id

    summary = _rotate(home, "--new-key-file", str(new), "--batch-size", "3")
    assert summary == {
        "key_id": new_id,
        "rewrapped": len(USERS),
        "already_rotated": 0,
        "from_key_ids": [old_id],
    }
    assert _kek_ids(home) == [new_id] * len(USERS)
    assert _raw(home) == before  # no event was touched

    _configure(home, new)  # the old key is not needed any more
    old.unlink()
    assert _emails(home, "after") == {user: f"{user}@example.com" for user in USERS}
    (entry,) = _audit(home)
    assert entry.after == summary and entry.actor.startswith("cli:")


def _audit(home: Path) -> list[AuditRecord]:
    with MeshRuntime.open(MeshConfig.load(home)) as mesh:
        return AuditLog(mesh.store).entries(actions=[AuditAction.KEYS_ROTATED])


class Killed(Exception):
    """Stands for the process being killed between two batches."""


def test_an_interrupted_rotation_continues_where_it_stopped(home: Path, tmp_path: Path) -> None:
    old = home / "privacy" / "master.key"
    new = _new_key(tmp_path / "new.key")
    # The rolling way: replicas get the new key as current and keep the old one as previous.
    _configure(home, new, old)
    new_id = LocalKms(MasterKeySource(file=new)).key_id

    def kill_after_first_batch(progress: RotationProgress) -> None:
        assert progress == RotationProgress(3, len(USERS))
        raise Killed

    with MeshRuntime.open(MeshConfig.load(home)) as mesh, pytest.raises(Killed):
        rotate_keys(
            mesh.store,
            mesh.keys.kms,
            mesh.keys.kms,
            actor="ops",
            batch_size=3,
            on_batch=kill_after_first_batch,
        )
    assert _kek_ids(home).count(new_id) == 3  # the first batch was committed
    assert _audit(home) == []  # no run completed
    # Half-rotated, every event reads (old and new keys are both configured).
    assert _emails(home, "halfway") == {user: f"{user}@example.com" for user in USERS}

    summary = _rotate(home, "--batch-size", "3")  # the configured current key is the target
    assert summary["rewrapped"] == len(USERS) - 3 and summary["already_rotated"] == 3
    assert _kek_ids(home) == [new_id] * len(USERS)
    assert _rotate(home)["rewrapped"] == 0  # nothing left: a rerun changes nothing

    _configure(home, new)  # rotation done: the old key is dropped from the configuration
    assert _emails(home, "after") == {user: f"{user}@example.com" for user in USERS}
    assert [entry.after["rewrapped"] for entry in _audit(home) if entry.after] == [4, 0]


def test_a_missing_new_key_is_one_line_and_rewraps_nothing(home: Path, tmp_path: Path) -> None:
    before = _kek_ids(home)
    missing = tmp_path / "nowhere.key"
    result = invoke_cli("keys", "rotate", "--new-key-file", str(missing), "--mesh", str(home))
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: --new-key-file:") and str(missing) in line
    assert "nothing was re-wrapped" in line
    wrong_kind = invoke_cli("keys", "rotate", "--new-key-id", "alias/x", "--mesh", str(home))
    assert wrong_kind.exit_code == 1
    assert "privacy.kms is 'local', not 'aws'" in wrong_kind.stderr
    assert not missing.exists() and _kek_ids(home) == before


def test_a_key_no_configured_master_key_opens_stops_the_rotation(
    home: Path, tmp_path: Path
) -> None:
    stranger = _new_key(tmp_path / "stranger.key")
    _configure(home, stranger)  # neither current nor previous is the key the data has
    before = _kek_ids(home)
    result = invoke_cli("keys", "rotate", "--mesh", str(home))
    assert result.exit_code == 1 and "every replica must be given the same" in result.stderr
    assert _kek_ids(home) == before
    with pytest.raises(KmsError):
        _emails(home, "stranger")
