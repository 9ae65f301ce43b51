"""Queries on the platform store for the engine (jobs, checkpoints, suppressions,
restrictions). Nothing here commits: the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from lawful.engine.models import UNFINISHED, Job, JobKind, JobStatus, Restriction, Suppression
from lawful.store.models import utcnow


def unfinished_job(session: Session, *, kind: JobKind, identity_index: str) -> Job | None:
    """The latest job of this kind for this person that did not finish (to resume it)."""
    query = (
        select(Job)
        .where(Job.kind == kind, Job.identity_index == identity_index)
        .where(Job.status.in_(UNFINISHED))
        .order_by(Job.created_at.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def unfinished_jobs(session: Session) -> list[Job]:
    """Every job that did not finish and was not cancelled or superseded, oldest first."""
    query = select(Job).where(Job.status.in_(UNFINISHED)).order_by(Job.created_at, Job.id)
    return list(session.scalars(query))


def job_by_id(session: Session, *, job_id: str) -> Job | None:
    return session.get(Job, job_id)


def mark_job_cancelled(session: Session, *, job_id: str) -> bool:
    """Cancel the job if it is still unfinished, in one conditional UPDATE: of many callers
    at once, exactly one wins (True)."""
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status.in_(UNFINISHED))
        .values(status=JobStatus.cancelled, finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


def add_suppressions(session: Session, *, entries: Iterable[tuple[str, str]]) -> int:
    """Add `(identity type, keyed hash)` entries not yet listed; returns how many were new."""
    added = 0
    for identity_type, identity_hash in entries:
        if not is_suppressed(session, identity_type=identity_type, identity_hash=identity_hash):
            session.add(Suppression(identity_type=identity_type, identity_hash=identity_hash))
            added += 1
    session.flush()
    return added


def is_suppressed(session: Session, *, identity_type: str, identity_hash: str) -> bool:
    query = select(Suppression.id).where(
        Suppression.identity_type == identity_type, Suppression.identity_hash == identity_hash
    )
    return session.scalars(query).first() is not None


def restricted_indexes(
    session: Session,
    *,
    record_indexes: Iterable[str],
    dataset: str | None = None,
    exclude_reasons: Iterable[str] = (),
) -> set[str]:
    """Which of the record indexes carry a restriction marker (other than those reasons)."""
    wanted = list(record_indexes)
    skipped = list(exclude_reasons)
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        query = select(Restriction.record_index).where(
            Restriction.record_index.in_(wanted[start : start + 500])
        )
        if dataset is not None:
            query = query.where(Restriction.dataset == dataset)
        if skipped:
            query = query.where(Restriction.reason.not_in(skipped))
        found.update(session.scalars(query))
    return found


def add_restrictions(
    session: Session, *, identity_index: str, reason: str, records: Iterable[tuple[str, str]]
) -> int:
    """Mark `(dataset, record index)` pairs as restricted; returns how many were new."""
    pairs = list(records)
    by_dataset: dict[str, list[str]] = {}
    for dataset, index in pairs:
        by_dataset.setdefault(dataset, []).append(index)
    known = {
        (dataset, index)
        for dataset, indexes in by_dataset.items()
        for index in restricted_indexes(session, dataset=dataset, record_indexes=indexes)
    }
    fresh = [p for p in dict.fromkeys(pairs) if p not in known]
    session.add_all(
        Restriction(identity_index=identity_index, dataset=d, record_index=i, reason=reason)
        for d, i in fresh
    )
    session.flush()
    return len(fresh)


def remove_restrictions(session: Session, *, records: Iterable[tuple[str, str]]) -> int:
    removed = 0
    for dataset, index in records:
        result = session.execute(
            delete(Restriction).where(
                Restriction.dataset == dataset, Restriction.record_index == index
            )
        )
        removed += int(getattr(result, "rowcount", 0) or 0)
    return removed
