"""Durable jobs: every change is planned first, checkpointed per dataset and batch in the
platform store, then applied datastore by datastore.

The plan (keys and new values, sealed) is committed before any datastore is touched. A
datastore's unfinished steps run in one transaction there (all or nothing: a person is never
half-erased in one database), each statement checked to touch exactly the rows planned;
then the checkpoints of those steps are committed together (which, on PostgreSQL, does not
wait for the disk: see `commit_checkpoint`). A crash between the two leaves the steps
unfinished although their change is in the store: a resumed run reads every unfinished
step's rows back first and sends the change only when it is not there. New values are
computed at planning time, so no step can ever apply something different twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.orm import Session

from lawful.connectors.base import Connector, ConnectorError, Row, batched, key_value
from lawful.datamap.models import DataMap
from lawful.engine.apply import RowCountError, apply_change
from lawful.engine.binding import PAYLOAD, map_fingerprint, match_columns, new_binding, row_digest
from lawful.engine.datastores import Datastores
from lawful.engine.errors import EngineError
from lawful.engine.identity import Identity
from lawful.engine.keys import fetch_by_key, key_text
from lawful.engine.models import Job, JobKind, JobStatus, JobStep, StepStatus
from lawful.engine.retry import with_retry
from lawful.engine.values import decode, encode, same
from lawful.store.crypto import Keyring
from lawful.store.db import commit_checkpoint
from lawful.store.models import utcnow

IDENTITY = "job.identity"
DEFAULT_BATCH = 500


@dataclass(frozen=True)
class Change:
    """Rows of one dataset to update (key and new values) or delete (key only)."""

    dataset: str
    system: str
    table: str
    key: tuple[str, ...]  # the key's columns: every row holds them
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
    key: tuple[str, ...],
    rows: Sequence[Row],
    planned: Mapping[Any, Row],
) -> dict[str, Any] | None:
    """The digests a resumed run re-matches each row against (None: nothing to match)."""
    keys = [key_value(row, key) for row in rows]
    if salt is None or not all(k in planned for k in keys):
        return None
    digests = [row_digest(salt, columns, planned[k]) for k in keys]
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
        "dataset": change.dataset,
        "key": list(change.key),
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
    per_datastore: bool = True,
) -> JobReport:
    """Apply every step not yet done, datastore by datastore: a datastore's steps run in one
    transaction there (all or nothing), then their checkpoints are committed together; mark
    the job done only when all are (the last checkpoints and the job's end share one
    commit). A datastore that fails after its retries is rolled back entirely and its steps
    stay to do; other systems go on. Re-running resumes.

    `per_datastore=False` (retention sweeps: many people, possibly millions of rows) runs
    and commits each batch on its own instead; a failed batch stops the later ones of its
    system.

    A new job must be committed before it runs: the plan is what a resumed run follows.
    """
    steps = list(job.steps)
    groups: dict[object, list[tuple[JobStep, dict[str, Any]]]] = {}
    for step in steps:
        if step.status is not StepStatus.done:
            payload = keyring.decrypt_json(step.payload_sealed or b"", context=PAYLOAD)
            unit = payload["system"] if per_datastore else step.position
            groups.setdefault(unit, []).append((step, payload))
    done = len(steps) - sum(len(group) for group in groups.values())
    failed: set[str] = set()
    for number, group in enumerate(groups.values(), start=1):
        system = group[0][1]["system"]
        if system in failed:
            continue  # a batch of this system failed: later ones may depend on it
        status = _run_system(system, group, datastores=datastores, resumed=resumed)
        if status is StepStatus.failed:
            failed.add(system)
        if number < len(groups):
            commit_checkpoint(session)
        for step, _ in group:
            done += 1
            if progress is not None:
                progress(StepEvent(step.dataset, step.batch, status, done, len(steps)))
    return _close_job(session, job=job, keyring=keyring, resumed=resumed, finish=finish)


def _run_system(
    system: str,
    group: list[tuple[JobStep, dict[str, Any]]],
    *,
    datastores: Datastores,
    resumed: bool,
) -> StepStatus:
    """Send a datastore's unfinished steps in one transaction; record the outcome on each
    step (the caller commits)."""
    tries = {"count": 0}
    for step, _ in group:
        step.attempts, step.started_at, step.error = step.attempts + 1, utcnow(), None

    def attempt() -> list[tuple[int, int]]:
        tries["count"] += 1
        # On a resumed run (or a retry after a lost acknowledgement) a step may already be
        # in the store: it is read back first and sent only if its change is not there, and
        # its rows are re-matched to the person: one whose identity changed is left alone.
        uncertain = resumed or tries["count"] > 1
        connector = datastores.get(system)
        with connector.transaction():
            return [_apply(connector, payload, uncertain=uncertain) for _, payload in group]

    try:
        counts = with_retry(attempt, policy=datastores.retry)
    except (ConnectorError, RowCountError) as error:
        for step, _ in group:
            step.status, step.error = StepStatus.failed, _safe_message(error)
            step.finished_at = utcnow()
        return StepStatus.failed
    for (step, _), (changed, skipped) in zip(group, counts, strict=True):
        step.status, step.rows_changed, step.rows_skipped = StepStatus.done, changed, skipped
        step.finished_at = utcnow()
    return StepStatus.done


def _apply(connector: Connector, payload: dict[str, Any], *, uncertain: bool) -> tuple[int, int]:
    """Send one batch; returns the rows changed (or found changed) and the rows skipped as no
    longer the person's."""
    rows = [{c: decode(v) for c, v in row.items()} for row in payload["rows"]]
    key, match = step_key(payload), payload.get("match")
    done = skipped = 0
    if uncertain and match:
        rows, done, skipped = _still_to_apply(connector, payload, key, rows)
        if not rows:
            return done, skipped
        uncertain = False  # what is left was read back just now
    changed = apply_change(
        connector,
        system=payload["system"],
        dataset=payload.get("dataset", payload["table"]),
        table=payload["table"],
        key=key,
        action=payload["action"],
        rows=rows,
        uncertain=uncertain,
    )
    return done + changed, skipped


def _still_to_apply(
    connector: Connector, payload: dict[str, Any], key: tuple[str, ...], rows: list[Row]
) -> tuple[list[Row], int, int]:
    """The rows still to send, how many are already applied (or gone), and how many no
    longer hold the values that tied them to the person (skipped, never changed)."""
    match = payload["match"]
    wanted = list(dict.fromkeys([*key, *match.get("columns", []), *(c for r in rows for c in r)]))
    keys = [key_value(row, key) for row in rows]
    found = fetch_by_key(connector, payload["table"], columns=key, values=keys, wanted=wanted)
    current = {key_text(key_value(r, key)): r for r in found}
    todo: list[Row] = []
    done = skipped = 0
    for number, row in enumerate(rows):
        now = current.get(key_text(key_value(row, key)))
        if now is None or (
            payload["action"] == "update" and all(same(now.get(c), v) for c, v in row.items())
        ):
            done += 1  # deleted, or already set: nothing more to do
        elif row_digest(match["salt"], match["columns"], now) != match["digests"][number]:
            skipped += 1
        else:
            todo.append(row)
    return todo, done, skipped


def step_key(payload: dict[str, Any]) -> tuple[str, ...]:
    """The key columns of a step (a job planned before composite keys holds one name)."""
    key = payload["key"]
    return (key,) if isinstance(key, str) else tuple(key)


def _safe_message(error: ConnectorError | EngineError) -> str:
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


@dataclass(frozen=True)
class Planned:
    """What a new job will do: its changes, the summary it records, and the rows as planned
    (dataset → key → row: tied to the person again before a resumed run changes them)."""

    changes: Sequence[Change]
    summary: dict[str, Any]
    found: Mapping[str, Mapping[Any, Row]] | None = None


def create_or_resume(
    session: Session,
    *,
    job: Job | None,
    plan: Callable[[], Planned],
    kind: JobKind,
    identity: Identity,
    keyring: Keyring,
    datamap: DataMap,
    datastores: Datastores,
    batch_size: int = DEFAULT_BATCH,
    request_ref: str | None = None,
    progress: Progress | None = None,
    finish: Finisher | None = None,
) -> JobReport:
    """Run `job` (an unfinished one, resumed), or else plan a new one, record and commit it,
    then run it: the tail every person's job (erasure, rectification) shares."""
    resumed = job is not None
    if job is None:
        planned = plan()
        job = create_job(
            session,
            kind=kind,
            identity=identity,
            keyring=keyring,
            datamap=datamap,
            changes=planned.changes,
            summary=planned.summary,
            batch_size=batch_size,
            datastores=datastores,
            found=planned.found,
            request_ref=request_ref,
        )
        session.commit()
    return run_job(
        session,
        job=job,
        keyring=keyring,
        datastores=datastores,
        resumed=resumed,
        progress=progress,
        finish=finish,
    )
