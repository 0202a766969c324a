"""Which governance policy ``streammesh validate`` evaluates (see ``cli/validate.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from streammesh.cli.registry_connection import RegistryTarget
from streammesh.cli.up import server_settings
from streammesh.errors import ConfigError, MeshError

if TYPE_CHECKING:
    from streammesh.governance import MeshReview, PolicySet
    from streammesh.registry import SchemaRegistry


@contextmanager
def policy_review(
    policy_file: Path | None,
    target: RegistryTarget,
    registry: SchemaRegistry | None,
    *,
    offline: bool,
) -> Iterator[MeshReview]:
    """The review of ``--policy FILE``, else of the mesh's stored policies (the local mesh's
    when it exists, a server's with ``--server``), else of the built-in baseline.

    Raises:
        ConfigError: The policy file cannot be read.
        PolicyInvalid: The policy file is not a valid policy.
    """
    from sqlalchemy.engine import make_url

    from streammesh.governance import MeshReview, PolicySet, parse_policy

    if policy_file is not None:
        try:
            text = policy_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"cannot read policy file '{policy_file}': {exc.strerror or exc}"
            ) from exc
        yield MeshReview.offline(PolicySet(parse_policy(text, origin=str(policy_file))), registry)
        return
    if offline or registry is None:
        yield MeshReview.offline(None, registry)
        return
    if target.remote_server() is not None:
        yield MeshReview.offline(_server_policies(target), registry)
        return
    url = server_settings(target.mesh, target.store).resolved_store_url
    database = make_url(url).database
    if url.startswith("sqlite") and not (database and Path(database).is_file()):
        yield MeshReview.offline(None, registry)
        return
    from streammesh.store import open_store

    with open_store(url) as store, store.read() as connection:
        review = MeshReview.load(connection, registry)
    yield review


def _server_policies(target: RegistryTarget) -> PolicySet:
    """The policies stored in the server's mesh, read through its governance client."""
    from streammesh.cli.mesh_connection import MeshTarget, open_mesh
    from streammesh.governance import BASELINE, PolicySet, policy_from

    remote = MeshTarget(server=target.server, token=target.token)
    try:
        with open_mesh(remote) as session:
            found = session.mesh.governance.policies()
    except MeshError:
        # The same server is the registry: its failure is reported by the compatibility check
        # (``registry.unavailable``, an error), so validation fails either way.
        return PolicySet()
    stored = found["global"]
    return PolicySet(
        policy_from(stored, origin="the server's global policy") if stored else BASELINE,
        {
            domain: policy_from(document, origin=f"the server's policy of '{domain}'")
            for domain, document in found["domains"].items()
        },
    )
