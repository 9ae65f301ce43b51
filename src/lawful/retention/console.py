"""What the console's Retention page shows and does: the plan per rule (what `lawful retention
plan` computes, as of today and as of a few weeks ahead), the last sweeps with their evidence
(per-rule audit entries, per-dataset results, who and when), the schedule, and "Run now",
which queues one sweep as a job, never two at once.

Services never commit: the page that calls them owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lawful.datamap.models import DataMap
from lawful.engine.datastores import Datastores
from lawful.retention import repository
from lawful.retention.requests_link import open_request_identities
from lawful.retention.schedule import SWEEP_TASK
from lawful.retention.sweep import plan_sweep
from lawful.store.audit import record_event
from lawful.store.crypto import Keyring
from lawful.store.tasks import OPEN as TASK_OPEN
from lawful.store.tasks import Dispatcher, defer_job

SOON = timedelta(days=30)  # "due soon": what a sweep a month from now would act on


@dataclass(frozen=True)
class RuleLine:
    """One rule on one dataset: counts only, no personal data."""

    rule: str
    dataset: str
    action: str
    period: str | None
    cutoff: str | None
    citation: str | None
    due_now: int  # acted on by a sweep today
    due_soon: int  # and in addition by a sweep within `SOON`
    held: int
    requested: int
    restricted: int
    problem: str | None
    manual: str | None


@dataclass(frozen=True)
class Plan:
    today: date
    soon: date
    lines: list[RuleLine]


def plan_lines(
    session: Session, *, datamap: DataMap, datastores: Datastores, keyring: Keyring, today: date
) -> Plan:
    """The plan of `lawful retention plan`, as of today and as of `SOON` ahead, rule by rule.
    Reads the datastores; refreshes the records of held people in the session."""
    requests = open_request_identities(keyring=keyring, datamap=datamap)
    plans = [
        plan_sweep(
            session,
            datamap=datamap,
            datastores=datastores,
            keyring=keyring,
            as_of=day,
            open_requests=requests,
        )
        for day in (today, today + SOON)
    ]
    later = {(o.rule, o.dataset): o.acted for o in plans[1].outcomes}
    lines = [
        RuleLine(
            o.rule,
            o.dataset,
            o.action,
            o.period,
            o.cutoff,
            o.citation,
            o.acted,
            max(0, later.get((o.rule, o.dataset), 0) - o.acted),
            o.held,
            o.requested,
            o.restricted,
            o.problem,
            o.manual,
        )
        for o in plans[0].outcomes
    ]
    return Plan(today, today + SOON, lines)


@dataclass(frozen=True)
class Evidence:
    """One rule's entry in the audit trail for a finished sweep."""

    rule: str
    at: datetime
    actor: str
    datasets: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class SweepLine:
    job_id: str
    status: str
    created_at: datetime
    finished_at: datetime | None
    as_of: str | None
    planned_by: str | None
    steps_done: int
    steps: int
    rows_changed: int
    datasets: list[dict[str, Any]]  # per-dataset results of the run (status, error)
    outcomes: list[dict[str, Any]]  # per rule and dataset: the plan's counts
    evidence: list[Evidence] = field(default_factory=list)


def recent_sweeps(session: Session, *, limit: int = 10) -> list[SweepLine]:
    """The last sweeps, newest first, with their progress and evidence."""
    jobs = repository.recent_sweeps(session, limit=limit)
    steps = repository.step_counts(session, job_ids=[j.id for j in jobs])
    evidence: dict[str, list[Evidence]] = {}
    for entry in repository.sweep_evidence(session):
        details = entry.details or {}
        evidence.setdefault(str(details.get("job")), []).append(
            Evidence(entry.subject_id, entry.at, entry.actor, dict(details.get("datasets") or {}))
        )
    lines = []
    for job in jobs:
        result = job.result or {}
        summary = result.get("summary", {})
        done, total, rows = steps.get(job.id, (0, 0, 0))
        lines.append(
            SweepLine(
                job.id,
                job.status.value,
                job.created_at,
                job.finished_at,
                summary.get("as_of"),
                summary.get("planned_by"),
                done,
                total,
                rows,
                list(result.get("datasets", [])),
                list(summary.get("outcomes", [])),
                sorted(evidence.get(job.id, []), key=lambda e: e.rule),
            )
        )
    return lines


@dataclass(frozen=True)
class Queued:
    task_id: str
    new: bool  # False: a sweep was already queued or running; none was added


def request_sweep(session: Session, *, queue: Dispatcher, actor: str) -> Queued:
    """Queue a sweep now, unless one is queued, running or waiting for a retry. Two clicks at
    the same moment queue one: both name the same slot (after the newest sweep task), and the
    store keeps one task per slot. Flushes: the caller commits (or rolls back) at once."""
    waiting = repository.open_sweep_task(session, kind=SWEEP_TASK)
    if waiting is not None:
        return Queued(waiting.id, False)
    # Read again, in one row: a sweep queued since the line above is the newest, and open.
    newest = repository.newest_sweep_task(session, kind=SWEEP_TASK)
    if newest is not None and newest.status in TASK_OPEN:
        return Queued(newest.id, False)
    after = newest.id if newest is not None else "first"
    task = defer_job(session, queue=queue, kind=SWEEP_TASK, payload={"requested_by": actor},
                     dedupe_key=f"{SWEEP_TASK}:now:{after}")  # fmt: skip
    try:
        session.flush()
    except IntegrityError:  # someone else queued this very slot meanwhile
        session.rollback()
        waiting = repository.open_sweep_task(session, kind=SWEEP_TASK)
        return Queued(waiting.id if waiting else "", False)
    record_event(session, actor=actor, action="retention.sweep_requested", subject_type="task",
                 subject_id=task.id, details={"kind": SWEEP_TASK})  # fmt: skip
    return Queued(task.id, True)


@dataclass(frozen=True)
class Schedule:
    every_hours: float  # 0: no scheduled sweeps
    next_at: datetime | None


def schedule(*, interval_hours: float, now: datetime) -> Schedule:
    """The schedule of the setting `retention_interval_hours`: the poller queues one sweep per
    slot of that length (`lawful.worker.poller`), so the next starts at the next slot."""
    if interval_hours <= 0:
        return Schedule(0, None)
    every = interval_hours * 3600
    slot = int(now.timestamp() // every) + 1
    return Schedule(interval_hours, datetime.fromtimestamp(slot * every, tz=UTC))
