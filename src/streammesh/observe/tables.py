"""The monitoring tables (created by the store migration ``0010``).

``observe_slo_states`` holds each product version's current SLO status, one row per SLO, so
a breach is recorded once — when the status changes — however often it is checked.
``observe_probes`` counts the availability checker's probes per product version and minute;
the availability ratio over a window is the sum of its buckets. ``observe_lag_samples``
(migration ``0014``) keeps each registered consumer group's lag per product version and
minute, as the checker last measured it in that minute.
"""

from __future__ import annotations

import sqlalchemy as sa

from streammesh.store import UtcDateTime

metadata = sa.MetaData()

slo_states = sa.Table(
    "observe_slo_states",
    metadata,
    sa.Column("product", sa.String(255), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("slo", sa.String(32), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("since", UtcDateTime(), nullable=False),
    sa.Column("checked_at", UtcDateTime(), nullable=False),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("observed", sa.Text, nullable=False),
)

probes = sa.Table(
    "observe_probes",
    metadata,
    sa.Column("product", sa.String(255), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("minute", UtcDateTime(), primary_key=True),
    sa.Column("probes", sa.Integer, nullable=False),
    sa.Column("failures", sa.Integer, nullable=False),
)

lag_samples = sa.Table(
    "observe_lag_samples",
    metadata,
    sa.Column("consumer_group", sa.String(255), primary_key=True),
    sa.Column("product", sa.String(255), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("minute", UtcDateTime(), primary_key=True),
    sa.Column("lag", sa.BigInteger, nullable=False),
)
