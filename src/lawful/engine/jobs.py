"""Durable jobs: every change is planned first, checkpointed per dataset and batch in the
platform store, then applied step by step, committing after each.

The plan (keys and new values, sealed) is committed before any datastore is touched. Each
step is one transaction on its datastore, then one commit of its checkpoint (which, on
PostgreSQL, does not wait for the disk: see `commit_checkpoint`). A crash between
the two leaves the step unfinished although its change is in the store: a resumed run reads
every unfinished step's rows back first and sends the change only when it is not there. New
values are computed at planning time, so no step can ever apply something different twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.orm import Session

from lawful.connectors.base import Connector, ConnectorError, Row, batched
from lawful.datamap.models import DataMap
from lawful.engine.binding import PAYLOAD, map_fingerprint, match_columns, new_binding, row_digest
from lawful.engine.datastores import Datastores
from lawful.engine.identity import Identity
from lawful.engine.retry import with_retry
from lawful.engine.values import decode, encode, same
from lawful.store.crypto import Keyring
from lawful.store.db import commit_checkpoint
from lawful.store.models import Job, JobKind, JobStatus, JobStep, StepStatus, utcnow

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
    rows_skipped: int = 0  # planned, but no longer the person's on resume: left unchanged


@dataclass(frozen=True)
class JobReport:
    job_id: str
    kind: JobKind
    status: JobStatus
    resumed: bool
    datasets: list[DatasetOutcome]
    summary: dict[str, Any] = field(default_factory=dict)


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
    datastores: Datastores | None = None,
    found: Mapping[str, Mapping[Any, Row]] | None = None,
    request_ref: str | None = None,
) -> Job:
    """Record a job and one pending step per batch of each change, in order. No commit: the
    caller commits it before running it.

    With `datastores`, the job is bound to the identity of each datastore it changes; with
    `found` (dataset → key → the row as planned), each row also gets a digest of the values
    that tied it to the person, checked again before a resumed run changes it."""
    sealed, index = seal_identity(keyring, identity)
    job = Job(
        kind=kind,
        identity_sealed=sealed,
        identity_index=index,
        map_digest=map_fingerprint(datamap),
        request_ref=request_ref,
    )
    if datastores is not None:
        job.binding = new_binding(datastores, (c.system for c in changes))
    salt = (job.binding or {}).get("salt") if found is not None else None
    job.result = {"summary": summary}
    position = 0
    batches: dict[str, int] = {}  # a dataset may have masks and deletions: number on
    for change in changes:
        columns = match_columns(datamap.datasets[change.dataset])
        planned = (found or {}).get(change.dataset, {})
        for rows in batched(change.rows, batch_size):
            batch = batches.get(change.dataset, 0)
            batches[change.dataset] = batch + 1
            match = _match(salt, columns, change.key, rows, planned)
            job.steps.append(_step(keyring, change, batch, position, rows, match))
            position += 1
    session.add(job)
    return job


def _match(
    salt: str | None,
    columns: list[str],
    key: str,
    rows: Sequence[Row],
    planned: Mapping[Any, Row],
) -> dict[str, Any] | None:
    """The digests a resumed run re-matches each row against (None: nothing to match)."""
    if salt is None or not all(row[key] in planned for row in rows):
        return None
    digests = [row_digest(salt, columns, planned[row[key]]) for row in rows]
    return {"salt": salt, "columns": columns, "digests": digests}


def _step(
    keyring: Keyring,
    change: Change,
    batch: int,
    position: int,
    rows: Sequence[Row],
    match: dict[str, Any] | None,
) -> JobStep:
    payload = {
        "system": change.system,
        "table": change.table,
        "key": change.key,
        "action": change.action,
        "rows": [{column: encode(value) for column, value in row.items()} for row in rows],
        "match": match,
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
    summary: dict[str, Any],
) -> Job:
    """A job that changed no datastore (a read, or markers in the platform store only):
    recorded done at once; it has no steps to resume, its counts are in `result`."""
    sealed, index = seal_identity(keyring, identity)
    job = Job(
        kind=kind,
        identity_sealed=sealed,
        identity_index=index,
        map_digest=map_fingerprint(datamap),
        status=JobStatus.done,
        finished_at=utcnow(),
        result={"summary": summary},
    )
    session.add(job)
    session.flush()
    return job


Finisher = Callable[[Session, Job], None]
"""Work done in the same transaction that marks a job done (e.g. the suppression list)."""


def run_job(
    session: Session,
    *,
    job: Job,
    keyring: Keyring,
    datastores: Datastores,
    resumed: bool = False,
    progress: Progress | None = None,
    finish: Finisher | None = None,
) -> JobReport:
    """Apply every step not yet done, committing after each; mark the job done only when all
    are (the last step's checkpoint and the job's end share one commit). A step that fails
    after its retries stops the remaining steps of its system (their foreign keys may depend
    on it); other systems go on. Re-running resumes.

    A new job must be committed before it runs: the plan is what a resumed run follows.
    """
    failed_systems: set[str] = set()
    steps = list(job.steps)
    for number, step in enumerate(steps, start=1):
        if step.status is StepStatus.done:
            continue
        status = _run_step(
            step, keyring=keyring, datastores=datastores, skip=failed_systems, resumed=resumed
        )
        if status is None:
            continue
        if number < len(steps):
            commit_checkpoint(session)
        if progress is not None:
            progress(StepEvent(step.dataset, step.batch, status, number, len(steps)))
    return _close_job(session, job=job, keyring=keyring, resumed=resumed, finish=finish)


def _run_step(
    step: JobStep, *, keyring: Keyring, datastores: Datastores, skip: set[str], resumed: bool
) -> StepStatus | None:
    """Send one batch and record its outcome on the step (the caller commits)."""
    payload = keyring.decrypt_json(step.payload_sealed or b"", context=PAYLOAD)
    if payload["system"] in skip:
        return None
    step.attempts, step.started_at, step.error = step.attempts + 1, utcnow(), None
    try:
        # On a resumed run any unfinished step may have reached the store just before the
        # crash: it is read back first and sent only if its change is not there. Its rows
        # are re-matched to the person then: one whose identity changed is left alone.
        step.rows_changed, step.rows_skipped = _apply_once(datastores, payload, uncertain=resumed)
        step.status = StepStatus.done
    except ConnectorError as error:
        skip.add(payload["system"])
        step.status, step.error = StepStatus.failed, _safe_message(error)
    step.finished_at = utcnow()
    return step.status


def _apply_once(
    datastores: Datastores, payload: dict[str, Any], *, uncertain: bool
) -> tuple[int, int]:
    """Apply the batch, unless it is already in the store: checked first when a previous try
    may have reached it (crash, or a retry after a lost acknowledgement). Returns the rows
    changed (or found changed) and the rows skipped as no longer the person's."""
    connector = datastores.get(payload["system"])
    rows = [{c: decode(v) for c, v in row.items()} for row in payload["rows"]]
    tries = {"count": 0}

    def attempt() -> tuple[int, int]:
        tries["count"] += 1
        todo, done, skipped = rows, 0, 0
        if uncertain or tries["count"] > 1:
            todo, done, skipped = _still_to_apply(connector, payload, rows)
            if not todo:
                return done, skipped
        key = payload["key"]
        with connector.transaction():
            if payload["action"] == "delete":
                changed = connector.delete(payload["table"], key=key, keys=[r[key] for r in todo])
            else:
                changed = connector.update(payload["table"], key=key, rows=todo)
        return done + changed, skipped

    return with_retry(attempt, policy=datastores.retry)


def _still_to_apply(
    connector: Connector, payload: dict[str, Any], rows: list[Row]
) -> tuple[list[Row], int, int]:
    """The rows still to send, how many are already applied (or gone), and how many no
    longer hold the values that tied them to the person (skipped, never changed)."""
    key, match = payload["key"], payload.get("match")
    columns = list(
        dict.fromkeys([key, *(match or {}).get("columns", []), *(c for r in rows for c in r)])
    )
    current = {
        str(r[key]): r
        for r in connector.fetch(
            payload["table"], where={key: [r[key] for r in rows]}, columns=columns
        )
    }
    todo: list[Row] = []
    done = skipped = 0
    for number, row in enumerate(rows):
        now = current.get(str(row[key]))
        if now is None or (
            payload["action"] == "update" and all(same(now.get(c), v) for c, v in row.items())
        ):
            done += 1  # deleted, or already set: nothing more to do
        elif match and row_digest(match["salt"], match["columns"], now) != match["digests"][number]:
            skipped += 1
        else:
            todo.append(row)
    return todo, done, skipped


def _safe_message(error: ConnectorError) -> str:
    """The first line only: database drivers put row values (personal data) in details."""
    return str(error).splitlines()[0][:500]


def _close_job(
    session: Session, *, job: Job, keyring: Keyring, resumed: bool, finish: Finisher | None
) -> JobReport:
    steps = list(job.steps)
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
                sum(s.rows_skipped or 0 for s in group),
            )
        )
    return outcomes
