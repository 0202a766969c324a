"""Session-wide fixtures shared by every test package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.tansu import TansuBroker


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """``127.0.0.1:PORT`` of a Kafka-protocol broker (tansu, in memory) shared by the session.

    Tests share it, so they use topic and group names of their own.
    """
    with TansuBroker() as broker:
        yield broker.bootstrap
