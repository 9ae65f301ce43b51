"""Queries on the platform store for retention: legal holds, held records, anonymisation
marks, restriction markers by reason, unfinished sweeps. Nothing here commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import Session, selectinload

from lawful.engine.models import UNFINISHED, Job, JobKind, JobStep, Restriction, StepStatus
from lawful.requests.models import RightsRequest
from lawful.requests.states import OPEN
from lawful.retention.models import (
    LegalHold,
    LegalHoldDataset,
    LegalHoldPerson,
    LegalHoldRecord,
    LegalHoldValue,
    RetentionMark,
)
from lawful.store.audit import AuditEntry
from lawful.store.tasks import OPEN as TASK_OPEN
from lawful.store.tasks import Task

CHUNK = 500  # values per IN list


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def get_hold(session: Session, *, hold_id: str) -> LegalHold | None:
    return session.get(LegalHold, hold_id, options=[selectinload(LegalHold.people)])


def list_holds(session: Session, *, include_released: bool = False) -> list[LegalHold]:
    """Holds, newest first; active ones only unless asked."""
    query = select(LegalHold).options(selectinload(LegalHold.people))
    if not include_released:
        query = query.where(LegalHold.released_at.is_(None))
    return list(session.scalars(query.order_by(LegalHold.created_at.desc(), LegalHold.id)))


def held_people(session: Session) -> list[LegalHoldPerson]:
    """Every person on an active hold."""
    query = (
        select(LegalHoldPerson)
        .join(LegalHold)
        .where(LegalHold.released_at.is_(None))
        .order_by(LegalHoldPerson.id)
    )
    return list(session.scalars(query))


def held_record_indexes(session: Session, *, record_indexes: Iterable[str]) -> set[str]:
    """Which of the record indexes belong to a person on an active hold."""
    wanted = list(dict.fromkeys(record_indexes))
    found: set[str] = set()
    for chunk in _chunks(wanted):
        query = (
            select(LegalHoldRecord.record_index)
            .join(LegalHoldPerson)
            .join(LegalHold)
            .where(LegalHold.released_at.is_(None), LegalHoldRecord.record_index.in_(chunk))
        )
        found.update(session.scalars(query))
    return found


def all_held_record_indexes(session: Session) -> set[str]:
    """The record indexes of every person on an active hold."""
    query = (
        select(LegalHoldRecord.record_index)
        .join(LegalHoldPerson, LegalHoldRecord.person_id == LegalHoldPerson.id)
        .join(LegalHold, LegalHoldPerson.hold_id == LegalHold.id)
        .where(LegalHold.released_at.is_(None))
    )
    return set(session.scalars(query))


def replace_held_records(
    session: Session, *, person: LegalHoldPerson, records: Iterable[tuple[str, str]]
) -> int:
    """Set the `(dataset, record index)` pairs of a held person to exactly these."""
    session.execute(delete(LegalHoldRecord).where(LegalHoldRecord.person_id == person.id))
    pairs = list(dict.fromkeys(records))
    session.add_all(
        LegalHoldRecord(person_id=person.id, dataset=dataset, record_index=index)
        for dataset, index in pairs
    )
    session.flush()
    return len(pairs)


def marked_indexes(session: Session, *, dataset: str, record_indexes: Iterable[str]) -> set[str]:
    """Which records of the dataset a sweep already anonymised (under any rule)."""
    wanted = list(dict.fromkeys(record_indexes))
    found: set[str] = set()
    for chunk in _chunks(wanted):
        query = select(RetentionMark.record_index).where(
            RetentionMark.dataset == dataset, RetentionMark.record_index.in_(chunk)
        )
        found.update(session.scalars(query))
    return found


def add_marks(
    session: Session, *, rule: str, dataset: str, job_id: str, record_indexes: Iterable[str]
) -> int:
    wanted = list(dict.fromkeys(record_indexes))
    known = marked_indexes(session, dataset=dataset, record_indexes=wanted)
    fresh = [index for index in wanted if index not in known]
    session.add_all(
        RetentionMark(rule=rule, dataset=dataset, record_index=index, job_id=job_id)
        for index in fresh
    )
    session.flush()
    return len(fresh)


def has_any_mark(session: Session, *, dataset: str) -> bool:
    return (
        session.scalars(
            select(RetentionMark.id).where(RetentionMark.dataset == dataset).limit(1)
        ).first()
        is not None
    )


def restriction_reasons(
    session: Session, *, dataset: str, record_indexes: Iterable[str]
) -> dict[str, str]:
    """Record index → reason, for the records of `dataset` carrying a restriction marker."""
    wanted = list(dict.fromkeys(record_indexes))
    found: dict[str, str] = {}
    for chunk in _chunks(wanted):
        query = select(Restriction.record_index, Restriction.reason).where(
            Restriction.dataset == dataset, Restriction.record_index.in_(chunk)
        )
        found.update({index: reason for index, reason in session.execute(query)})
    return found


def has_any_restriction(session: Session, *, dataset: str) -> bool:
    query = select(Restriction.id).where(Restriction.dataset == dataset).limit(1)
    return session.scalars(query).first() is not None


def has_any_held_record(session: Session) -> bool:
    query = (
        select(LegalHoldRecord.id)
        .join(LegalHoldPerson)
        .join(LegalHold)
        .where(LegalHold.released_at.is_(None))
        .limit(1)
    )
    return session.scalars(query).first() is not None


def unfinished_sweep(session: Session) -> Job | None:
    """The latest retention sweep that did not finish (to resume it)."""
    query = (
        select(Job)
        .where(Job.kind == JobKind.retention, Job.status.in_(UNFINISHED))
        .order_by(Job.created_at.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def recent_sweeps(session: Session, *, limit: int = 20) -> list[Job]:
    query = (
        select(Job)
        .where(Job.kind == JobKind.retention)
        .order_by(Job.created_at.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def open_requests(session: Session) -> list[RightsRequest]:
    """Rights requests not yet closed: their people's records are left alone by sweeps."""
    query = select(RightsRequest).where(RightsRequest.status.in_(OPEN)).order_by(RightsRequest.id)
    return list(session.scalars(query))


# --- what erasure must keep (read for the engine, `lawful.retention.holds`) -------------------


def has_active_hold(session: Session) -> bool:
    query = select(LegalHold.id).where(LegalHold.released_at.is_(None)).limit(1)
    return session.scalars(query).first() is not None


def hold_on_values(session: Session, *, value_indexes: Iterable[str]) -> LegalHold | None:
    """The first active hold (by id) naming a person with any of these identity values:
    driven by the value's index (a join from the few matching values to their holds), so
    its cost does not grow with the number of holds or people on hold."""
    wanted = list(dict.fromkeys(value_indexes))
    if not wanted:
        return None
    query = (
        select(LegalHold)
        .join(LegalHoldPerson, LegalHoldPerson.hold_id == LegalHold.id)
        .join(LegalHoldValue, LegalHoldValue.person_id == LegalHoldPerson.id)
        .where(LegalHoldValue.value_index.in_(wanted), LegalHold.released_at.is_(None))
        .order_by(LegalHold.id)
        .limit(1)
    )
    return session.scalars(query).first()


def holds_on_datasets(session: Session, *, datasets: Iterable[str]) -> dict[str, LegalHold]:
    """Dataset → the first active hold (by id) keeping it whole, for the given datasets: at
    most one row per dataset, whatever the number of holds naming it."""
    wanted = list(dict.fromkeys(datasets))
    if not wanted:
        return {}
    first = (
        select(LegalHoldDataset.dataset, func.min(LegalHold.id).label("hold_id"))
        .join(LegalHold, LegalHoldDataset.hold_id == LegalHold.id)
        .where(LegalHold.released_at.is_(None), LegalHoldDataset.dataset.in_(wanted))
        .group_by(LegalHoldDataset.dataset)
    )
    by_id = {dataset: hold_id for dataset, hold_id in session.execute(first)}
    if not by_id:
        return {}
    holds = session.scalars(select(LegalHold).where(LegalHold.id.in_(set(by_id.values()))))
    loaded = {hold.id: hold for hold in holds}
    return {dataset: loaded[hold_id] for dataset, hold_id in by_id.items()}


def holds_with_records(session: Session, *, record_indexes: Iterable[str]) -> dict[str, LegalHold]:
    """Record index → the first active hold (by id) whose person it belongs to, for the given
    records: at most one row per record, whatever the number of holds on the person."""
    wanted = list(dict.fromkeys(record_indexes))
    by_id: dict[str, str] = {}
    for chunk in _chunks(wanted):
        query = (
            select(LegalHoldRecord.record_index, func.min(LegalHold.id))
            .join(LegalHoldPerson, LegalHoldRecord.person_id == LegalHoldPerson.id)
            .join(LegalHold, LegalHoldPerson.hold_id == LegalHold.id)
            .where(LegalHold.released_at.is_(None), LegalHoldRecord.record_index.in_(chunk))
            .group_by(LegalHoldRecord.record_index)
        )
        by_id.update({index: hold_id for index, hold_id in session.execute(query)})
    if not by_id:
        return {}
    holds = session.scalars(select(LegalHold).where(LegalHold.id.in_(set(by_id.values()))))
    loaded = {hold.id: hold for hold in holds}
    return {index: loaded[hold_id] for index, hold_id in by_id.items()}


# --- the console's Retention page (`lawful.retention.console`) ----------------------------------


def open_sweep_task(session: Session, *, kind: str) -> Task | None:
    """A sweep task queued, running or waiting for a retry, if any."""
    query = select(Task).where(Task.kind == kind, Task.status.in_(TASK_OPEN)).limit(1)
    return session.scalars(query).first()


def newest_sweep_task(session: Session, *, kind: str) -> Task | None:
    """The sweep task queued last, whatever its status."""
    query = select(Task).where(Task.kind == kind).order_by(Task.created_at.desc(), Task.id.desc())
    return session.scalars(query.limit(1)).first()


def sweep_evidence(session: Session, *, limit: int = 500) -> list[AuditEntry]:
    """The latest per-rule evidence entries of sweeps (`retention.swept`), newest first."""
    query = (
        select(AuditEntry)
        .where(AuditEntry.action == "retention.swept")
        .order_by(AuditEntry.seq.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def step_counts(session: Session, *, job_ids: Sequence[str]) -> dict[str, tuple[int, int, int]]:
    """Job id → (steps done, steps, rows changed), for the progress of sweeps."""
    done = func.sum(case((JobStep.status == StepStatus.done, 1), else_=0))
    query = (
        select(JobStep.job_id, done, func.count(), func.sum(JobStep.rows_changed))
        .where(JobStep.job_id.in_(list(job_ids)))
        .group_by(JobStep.job_id)
    )
    return {
        job_id: (int(d or 0), int(n or 0), int(rows or 0))
        for job_id, d, n, rows in session.execute(query)
    }
