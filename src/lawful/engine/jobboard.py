"""Unfinished jobs, for staff: list them (no personal data) and cancel one (audited)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from lawful.engine import repository
from lawful.engine.binding import describe_datastore
from lawful.engine.errors import EngineError, EngineProblem
from lawful.engine.models import Job, StepStatus
from lawful.store.audit import record_event

# What a job may be asked to do, in the words of the rights it carries out.
_RIGHTS = {
    "access": "access (GDPR Art. 15)",
    "portability": "portability (GDPR Art. 20)",
    "erase": "erasure (GDPR Art. 17)",
    "rectify": "rectification (GDPR Art. 16)",
    "restrict": "restriction (GDPR Art. 18)",
    "retention": "retention sweep (GDPR Art. 5(1)(e))",
}


@dataclass(frozen=True)
class JobLine:
    """One unfinished job as staff see it: ids, counts and messages, never personal data."""

    job_id: str
    request_ref: str | None
    right: str
    status: str
    created_at: datetime
    datastores: list[str]
    failed: list[str]  # "dataset: error", and why a resume was refused


def unfinished_job_lines(session: Session) -> list[JobLine]:
    """Every job that did not finish and was neither cancelled nor superseded, oldest first."""
    return [_line(job) for job in repository.unfinished_jobs(session)]


def cancel_job(session: Session, *, job_id: str, actor: str) -> JobLine:
    """Cancel an unfinished job: it is never resumed, and the next run for the same person
    plans afresh. Recorded in the audit trail. Raises EngineError for an unknown job or one
    that already ended. The caller commits."""
    job = repository.job_by_id(session, job_id=job_id)
    if job is None:
        raise EngineError(
            [EngineProblem(f"no job {job_id!r}", "list unfinished jobs with `lawful dsr jobs`")]
        )
    line = _line(job)
    if not repository.mark_job_cancelled(session, job_id=job_id):
        session.refresh(job)
        raise EngineError(
            [
                EngineProblem(
                    f"job {job_id} is {job.status.value}: only an unfinished job can be cancelled",
                    "list unfinished jobs with `lawful dsr jobs`",
                )
            ]
        )
    session.refresh(job)
    record_event(
        session,
        actor=actor,
        action="job.cancelled",
        subject_type="job",
        subject_id=job.id,
        details={
            "kind": job.kind.value,
            "was": line.status,
            "request": job.request_ref,
            "steps_done": sum(1 for step in job.steps if step.status is StepStatus.done),
            "steps": len(job.steps),
        },
    )
    return line


def _line(job: Job) -> JobLine:
    result = job.result or {}
    planned = (job.binding or {}).get("datastores", {})
    failed = [
        f"{d['dataset']}: {d.get('error') or d.get('status')}"
        for d in result.get("datasets", [])
        if d.get("status") != "done"
    ]
    failed += [str(message) for message in result.get("blocked", [])]
    return JobLine(
        job_id=job.id,
        request_ref=job.request_ref,
        right=_RIGHTS.get(job.kind.value, job.kind.value),
        status=job.status.value,
        created_at=job.created_at,
        datastores=[f"{s}: {describe_datastore(i)}" for s, i in sorted(planned.items())],
        failed=failed,
    )
