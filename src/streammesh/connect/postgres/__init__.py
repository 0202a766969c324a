"""PostgreSQL sources: change data capture (``kind: postgres-cdc``, :mod:`.cdc`) and the
transactional outbox (``kind: outbox``, :mod:`.outbox`), sharing one replication machinery
(:mod:`.replication`: publication, slot, consistent snapshot, ``pgoutput`` stream)."""

from __future__ import annotations

__all__: list[str] = []
