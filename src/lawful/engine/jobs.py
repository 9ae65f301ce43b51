"""Durable jobs: every change is planned first, checkpointed per dataset and batch in the
platform store, then applied step by step, committing after each.

A step is marked `running` (committed) before its change is sent and `done` (committed)
after. A crash between the two leaves it `running`: on resume the runner reads the rows back
and, when the change is already there, marks it done without sending it again. New values
are computed at planning time, so no step can ever apply something different the second time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.orm import Session, sessionmaker

from lawful.connectors.base import Connector, ConnectorError, Row, batched
from lawful.datamap.models import DataMap
from lawful.engine import repository
from lawful.engine.datastores import Datastores
from lawful.engine.identity import Identity
from lawful.engine.retry import with_retry
from lawful.engine.values import decode, encode, same
from lawful.store.crypto import Keyring
from lawful.store.models import Job, JobKind, JobStatus, JobStep, StepStatus, utcnow

PAYLOAD = "job_step.payload"
IDENTITY = "job.identity"
DEFAULT_BATCH = 500


@dataclass(frozen=True)
class Change:
    """Rows of one dataset to update (key and new values) or delete (key only)."""

    dataset: str
    system: str
    table: str
    key: str
    action: Literal["update", "delete"]
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class StepEvent:
    """Told to the progress display after each step."""

    dataset: str
    batch: int
    status: StepStatus
    done: int
    total: int


Progress = Callable[[StepEvent], None]


@dataclass(frozen=True)
class DatasetOutcome:
    dataset: str
    system: str
    status: str  # done, failed, pending
    rows_planned: int
    rows_changed: int
    error: str | None = None


@dataclass(frozen=True)
class JobReport:
    job_id: str
    kind: JobKind
    status: JobStatus
    resumed: bool
    datasets: list[DatasetOutcome]
    summary: dict[str, Any] = field(default_factory=dict)


def map_digest(datamap: DataMap) -> str:
    return hashlib.sha256(datamap.model_dump_json().encode()).hexdigest()


def seal_identity(keyring: Keyring, identity: Identity) -> tuple[bytes, str]:
    """The identity sealed with AES-GCM, and its blind index for finding the job again."""
    sealed = keyring.encrypt_json([list(pair) for pair in identity.values], context=IDENTITY)
    return sealed, keyring.index(identity.canonical())


def open_identity(keyring: Keyring, job: Job) -> Identity:
    values = keyring.decrypt_json(job.identity_sealed, context=IDENTITY)
    return Identity(tuple((str(kind), str(value)) for kind, value in values))


def create_job(
    session: Session,
    *,
    kind: JobKind,
    identity: Identity,
    keyring: Keyring,
    datamap: DataMap,
    changes: Sequence[Change],
    summary: dict[str, Any],
    batch_size: int = DEFAULT_BATCH,
) -> Job:
    """Record a job and one pending step per batch of each change, in order. No commit."""
    sealed, index = seal_identity(keyring, identity)
    job = Job(
        kind=kind, identity_sealed=sealed, identity_index=index, map_digest=map_digest(datamap)
    )
    job.result = {"summary": summary}
    position = 0
    batches: dict[str, int] = {}  # a dataset may have masks and deletions: number on
    for change in changes:
        for rows in batched(change.rows, batch_size):
            batch = batches.get(change.dataset, 0)
            batches[change.dataset] = batch + 1
            job.steps.append(_step(keyring, change, batch, position, rows))
            position += 1
    session.add(job)
    session.flush()
    return job


def _step(
    keyring: Keyring, change: Change, batch: int, position: int, rows: Sequence[Row]
) -> JobStep:
    payload = {
        "system": change.system,
        "table": change.table,
        "key": change.key,
        "action": change.action,
        "rows": [{column: encode(value) for column, value in row.items()} for row in rows],
    }
    return JobStep(
        dataset=change.dataset,
        batch=batch,
        position=position,
        action=change.action,
        status=StepStatus.pending,
        payload_sealed=keyring.encrypt_json(payload, context=PAYLOAD),
        rows_planned=len(rows),
        rows_changed=0,
        attempts=0,
    )


def record_finished_job(
    session: Session,
    *,
    kind: JobKind,
    identity: Identity,
    keyring: Keyring,
    datamap: DataMap,
    counts: dict[str, int],
    summary: dict[str, Any],
) -> Job:
    """A job that only read or only wrote to the platform store: recorded done at once."""
    sealed, index = seal_identity(keyring, identity)
    now = utcnow()
    job = Job(
        kind=kind,
        identity_sealed=sealed,
        identity_index=index,
        map_digest=map_digest(datamap),
        status=JobStatus.done,
        finished_at=now,
        result={"summary": summary},
    )
    for position, (dataset, rows) in enumerate(counts.items()):
        job.steps.append(
            JobStep(
                dataset=dataset,
                batch=0,
                position=position,
                action="read",
                status=StepStatus.done,
                rows_planned=rows,
                rows_changed=0,
                attempts=1,
                started_at=now,
                finished_at=now,
            )
        )
    session.add(job)
    session.flush()
    return job


Finisher = Callable[[Session, Job], None]
"""Work done in the same transaction that marks a job done (e.g. the suppression list)."""


def run_job(
    sessions: sessionmaker[Session],
    *,
    job_id: str,
    keyring: Keyring,
    datastores: Datastores,
    resumed: bool = False,
    progress: Progress | None = None,
    finish: Finisher | None = None,
) -> JobReport:
    """Apply every step not yet done, one commit per step; mark the job done only when all
    are. A step that fails after its retries stops the remaining steps of its system (their
    foreign keys may depend on it); other systems go on. Re-running resumes."""
    failed_systems: set[str] = set()
    with sessions() as session:
        steps = repository.job_steps(session, job_id=job_id)
        for number, step in enumerate(steps, start=1):
            if step.status is StepStatus.done:
                continue
            status = _run_step(
                session, step, keyring=keyring, datastores=datastores, skip_systems=failed_systems
            )
            if progress is not None and status is not None:
                progress(StepEvent(step.dataset, step.batch, status, number, len(steps)))
        session.commit()
    return _close_job(sessions, job_id=job_id, keyring=keyring, resumed=resumed, finish=finish)


def _run_step(
    session: Session,
    step: JobStep,
    *,
    keyring: Keyring,
    datastores: Datastores,
    skip_systems: set[str],
) -> StepStatus | None:
    """Mark the step running and commit (with the previous step's outcome, so one commit per
    step), send the change, then record the outcome for the next commit."""
    payload = keyring.decrypt_json(step.payload_sealed or b"", context=PAYLOAD)
    if payload["system"] in skip_systems:
        return None
    uncertain = step.status is StepStatus.running  # a crash may have hit after the change
    step.status, step.attempts, step.started_at = StepStatus.running, step.attempts + 1, utcnow()
    step.error = None
    session.commit()
    try:
        step.rows_changed = _apply_once(datastores, payload, uncertain=uncertain)
        step.status = StepStatus.done
    except ConnectorError as error:
        skip_systems.add(payload["system"])
        step.status, step.error = StepStatus.failed, _safe_message(error)
    step.finished_at = utcnow()
    return step.status


def _apply_once(datastores: Datastores, payload: dict[str, Any], *, uncertain: bool) -> int:
    """Apply the batch, unless it is already in the store: checked first when a previous try
    may have reached it (crash, or a retry after a lost acknowledgement)."""
    connector = datastores.get(payload["system"])
    rows = [{c: decode(v) for c, v in row.items()} for row in payload["rows"]]
    tries = {"count": 0}

    def attempt() -> int:
        tries["count"] += 1
        if (uncertain or tries["count"] > 1) and _already_applied(connector, payload, rows):
            return len(rows)
        with connector.transaction():
            if payload["action"] == "delete":
                return connector.delete(
                    payload["table"], key=payload["key"], keys=[r[payload["key"]] for r in rows]
                )
            return connector.update(payload["table"], key=payload["key"], rows=rows)

    return with_retry(attempt, policy=datastores.retry)


def _already_applied(connector: Connector, payload: dict[str, Any], rows: list[Row]) -> bool:
    key = payload["key"]
    keys = [row[key] for row in rows]
    if payload["action"] == "delete":
        return connector.count(payload["table"], where={key: keys}) == 0
    columns = list(dict.fromkeys(c for row in rows for c in row))
    current = {
        str(r[key]): r
        for r in connector.fetch(payload["table"], where={key: keys}, columns=columns)
    }
    return all(
        all(same(current[str(row[key])].get(c), v) for c, v in row.items())
        for row in rows
        if str(row[key]) in current  # a row deleted meanwhile needs nothing more
    )


def _safe_message(error: ConnectorError) -> str:
    """The first line only: database drivers put row values (personal data) in details."""
    return str(error).splitlines()[0][:500]


def _close_job(
    sessions: sessionmaker[Session],
    *,
    job_id: str,
    keyring: Keyring,
    resumed: bool,
    finish: Finisher | None,
) -> JobReport:
    with sessions() as session:
        job = session.get_one(Job, job_id)
        steps = repository.job_steps(session, job_id=job_id)
        complete = all(s.status is StepStatus.done for s in steps)
        if complete and finish is not None and job.status is not JobStatus.done:
            finish(session, job)
        job.status = JobStatus.done if complete else JobStatus.failed
        job.finished_at = utcnow() if complete else None
        outcomes = _outcomes(steps, keyring)
        job.result = {**(job.result or {}), "datasets": [o.__dict__ for o in outcomes]}
        session.commit()
        summary = dict((job.result or {}).get("summary", {}))
        return JobReport(job.id, job.kind, job.status, resumed, outcomes, summary)


def _outcomes(steps: list[JobStep], keyring: Keyring) -> list[DatasetOutcome]:
    by_dataset: dict[str, list[JobStep]] = {}
    for step in steps:
        by_dataset.setdefault(step.dataset, []).append(step)
    outcomes = []
    for dataset, group in by_dataset.items():
        statuses = {s.status for s in group}
        status = (
            "done"
            if statuses == {StepStatus.done}
            else "failed"
            if StepStatus.failed in statuses
            else "pending"
        )
        system = (
            keyring.decrypt_json(group[0].payload_sealed, context=PAYLOAD)["system"]
            if group[0].payload_sealed
            else ""
        )
        errors = [s.error for s in group if s.error]
        outcomes.append(
            DatasetOutcome(
                dataset,
                system,
                status,
                sum(s.rows_planned for s in group),
                sum(s.rows_changed for s in group),
                errors[0] if errors else None,
            )
        )
    return outcomes


def job_report(sessions: sessionmaker[Session], *, job_id: str, keyring: Keyring) -> JobReport:
    """The current state of a job, without running anything."""
    with sessions() as session:
        job = session.get_one(Job, job_id)
        outcomes = _outcomes(repository.job_steps(session, job_id=job_id), keyring)
        summary = dict((job.result or {}).get("summary", {}))
        return JobReport(job.id, job.kind, job.status, False, outcomes, summary)
