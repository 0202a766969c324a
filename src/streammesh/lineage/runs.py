"""``OpenLineageRuns``: the jobs OpenLineage run events told the mesh about, and the datasets
their runs read and wrote."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from streammesh.lineage import tables
from streammesh.lineage.openlineage import (
    DatasetRef,
    DatasetRole,
    JobRef,
    ObservedJob,
    RunEvent,
    RunState,
)
from streammesh.store import MetadataStore

LINEAGE_LOCK = "lineage-runs"


class OpenLineageRuns:
    """Records run events into the lineage tables and reads the jobs back.

    Example:
        >>> runs = OpenLineageRuns(store)
        >>> runs.record(event)
        >>> [job.job.name for job in runs.jobs()]
        ['daily-trades-export']
    """

    def __init__(self, store: MetadataStore) -> None:
        self._store = store

    def record(self, event: RunEvent) -> ObservedJob:
        """Fold one run event into its job: a later event moves the job's last run and state
        on, an earlier one (events may arrive out of order) only adds its datasets."""
        with self._store.write(LINEAGE_LOCK) as connection:
            self._save_job(connection, event)
            for role, datasets in (
                (DatasetRole.INPUT, event.inputs),
                (DatasetRole.OUTPUT, event.outputs),
            ):
                for dataset in dict.fromkeys(datasets):
                    _save_dataset(connection, event, role, dataset)
            return _jobs(connection, event.job)[0]

    def jobs(self) -> list[ObservedJob]:
        """Every job seen, by namespace and name."""
        with self._store.read() as connection:
            return _jobs(connection, None)

    @staticmethod
    def _save_job(connection: Connection, event: RunEvent) -> None:
        j = tables.jobs.c
        where = sa.and_(j.namespace == event.job.namespace, j.name == event.job.name)
        row = connection.execute(sa.select(tables.jobs).where(where)).first()
        if row is None:
            connection.execute(
                tables.jobs.insert().values(
                    namespace=event.job.namespace,
                    name=event.job.name,
                    last_run_id=event.run_id,
                    last_state=event.state.value,
                    producer=event.producer,
                    first_seen=event.time,
                    last_seen=event.time,
                    runs=1,
                )
            )
            return
        values: dict[str, Any] = {
            "first_seen": min(row.first_seen, event.time),
            "runs": row.runs + (0 if row.last_run_id == event.run_id else 1),
        }
        if event.time >= row.last_seen:
            values.update(
                last_run_id=event.run_id,
                last_state=event.state.value,
                producer=event.producer,
                last_seen=event.time,
            )
        connection.execute(tables.jobs.update().where(where).values(**values))


def _save_dataset(
    connection: Connection, event: RunEvent, role: DatasetRole, dataset: DatasetRef
) -> None:
    d = tables.job_datasets.c
    where = sa.and_(
        d.job_namespace == event.job.namespace,
        d.job_name == event.job.name,
        d.direction == role.value,
        d.namespace == dataset.namespace,
        d.name == dataset.name,
    )
    row = connection.execute(sa.select(tables.job_datasets).where(where)).first()
    if row is None:
        connection.execute(
            tables.job_datasets.insert().values(
                job_namespace=event.job.namespace,
                job_name=event.job.name,
                direction=role.value,
                namespace=dataset.namespace,
                name=dataset.name,
                first_seen=event.time,
                last_seen=event.time,
            )
        )
    elif event.time > row.last_seen:
        connection.execute(tables.job_datasets.update().where(where).values(last_seen=event.time))


def _jobs(connection: Connection, only: JobRef | None) -> list[ObservedJob]:
    j = tables.jobs.c
    d = tables.job_datasets.c
    job_query = sa.select(tables.jobs).order_by(j.namespace, j.name)
    dataset_query = sa.select(tables.job_datasets).order_by(d.namespace, d.name)
    if only is not None:
        job_query = job_query.where(j.namespace == only.namespace, j.name == only.name)
        dataset_query = dataset_query.where(
            d.job_namespace == only.namespace, d.job_name == only.name
        )
    datasets: dict[tuple[str, str, str], list[DatasetRef]] = defaultdict(list)
    for row in connection.execute(dataset_query):
        key = (row.job_namespace, row.job_name, row.direction)
        datasets[key].append(DatasetRef(row.namespace, row.name))
    return [
        ObservedJob(
            job=JobRef(row.namespace, row.name),
            last_run_id=row.last_run_id,
            last_state=RunState(row.last_state),
            producer=row.producer,
            first_seen=row.first_seen,
            last_seen=row.last_seen,
            runs=row.runs,
            inputs=tuple(datasets[(row.namespace, row.name, DatasetRole.INPUT.value)]),
            outputs=tuple(datasets[(row.namespace, row.name, DatasetRole.OUTPUT.value)]),
        )
        for row in connection.execute(job_query)
    ]
