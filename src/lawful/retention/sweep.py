"""Retention sweeps: apply each rule's end action to the records past their period, as one
durable job of the engine (`lawful.engine.jobs`): planned in full, checkpointed per dataset
and batch in the platform store, resumed after a crash, never applied twice.

Planning reads only. It commits, together: the job and its sealed steps (deletions and
anonymised values), the restriction markers of records isolated (`isolate` touches only the
platform store), the marks of records being anonymised (so no later sweep hashes a hash),
and an audit entry. Running then changes the datastores step by step; the last step's
checkpoint, the job's end and one evidence entry per rule (rule, counts, time, operator)
share a commit. An unfinished sweep is always resumed before a new one is planned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from lawful.datamap.models import DataMap
from lawful.engine import repository as engine_repository
from lawful.engine.binding import map_fingerprint, resume_or_replan
from lawful.engine.datastores import Datastores
from lawful.engine.identity import Identity
from lawful.engine.jobs import (
    DEFAULT_BATCH,
    Change,
    Finisher,
    JobReport,
    Progress,
    create_job,
    run_job,
)
from lawful.engine.markers import ISOLATED
from lawful.engine.models import Job, JobKind
from lawful.retention import repository
from lawful.retention.evaluate import Outcome, Sweeper, Work, evaluate_all
from lawful.retention.protect import OpenRequests, Protection, gather_protection
from lawful.store.audit import record_event
from lawful.store.crypto import Keyring
from lawful.store.models import utcnow

LABEL = "retention_sweep"  # the job's "identity": the sweep's day, never a person


@dataclass
class SweepPlan:
    as_of: date
    outcomes: list[Outcome]
    works: list[Work]
    protection: Protection

    def changes(self, datamap: DataMap) -> list[Change]:
        """Datastore changes in order: per outcome (children first), updates then deletes."""
        found: list[Change] = []
        for outcome, work in zip(self.outcomes, self.works, strict=True):
            dataset = datamap.datasets[outcome.dataset]
            table, key = dataset.table or outcome.dataset, dataset.key_fields()
            where = (outcome.dataset, dataset.system, table, key)
            if work.updates:
                found.append(Change(*where, "update", tuple(work.updates)))
            if work.deletes:
                found.append(Change(*where, "delete", tuple(work.deletes)))
        return found

    def summary(self, *, operator: str) -> dict[str, Any]:
        """The sweep without personal data: for the job, the audit trail and the report."""
        return {
            "as_of": self.as_of.isoformat(),
            "planned_by": operator,
            "planned_at": utcnow().isoformat(),
            "outcomes": [o.as_json() for o in self.outcomes],
            "held_datasets": sorted(self.protection.held_datasets),
            "held_records": len(self.protection.held_records),
            "requests_checked": self.protection.requests_checked,
            "open_requests": self.protection.open_requests,
        }

    def problems(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.problem]


def plan_sweep(
    session: Session,
    *,
    datamap: DataMap,
    datastores: Datastores,
    keyring: Keyring,
    as_of: date,
    open_requests: OpenRequests | None,
) -> SweepPlan:
    """What a sweep on `as_of` would do, rule by rule and dataset by dataset. Reads the
    datastores; refreshes the records of held people in the session (the caller commits or
    rolls back)."""
    protection = gather_protection(
        session,
        datamap=datamap,
        datastores=datastores,
        keyring=keyring,
        open_requests=open_requests,
    )
    ctx = Sweeper(session, datamap, datastores, keyring, protection, as_of)
    with datastores.reading():  # one consistent read per system, not a transaction per page
        results = evaluate_all(ctx)
    return SweepPlan(as_of, [o for o, _ in results], [w for _, w in results], protection)


@dataclass(frozen=True)
class SweepReport:
    job: JobReport
    resumed: bool
    summary: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    @property
    def outcomes(self) -> list[dict[str, Any]]:
        return list(self.summary.get("outcomes", []))


def run_sweep(
    sessions: sessionmaker[Session],
    *,
    datamap: DataMap,
    datastores: Datastores,
    keyring: Keyring,
    as_of: date,
    operator: str,
    open_requests: OpenRequests | None,
    batch_size: int = DEFAULT_BATCH,
    progress: Progress | None = None,
) -> SweepReport:
    """Sweep (or finish the interrupted sweep first). The runner owns the commits."""
    with sessions() as session:
        job = repository.unfinished_sweep(session)
        if job is not None:
            # A sweep planned on another database is never resumed on this one.
            job = resume_or_replan(session, job=job, datamap=datamap, datastores=datastores,
                                   keyring=keyring, replan_on_map_change=False)  # fmt: skip
        notes = _resume_notes(job, as_of=as_of, datamap=datamap) if job else []
        if job is None:
            plan = plan_sweep(
                session,
                datamap=datamap,
                datastores=datastores,
                keyring=keyring,
                as_of=as_of,
                open_requests=open_requests,
            )
            job = _record_sweep(session, plan=plan, datamap=datamap, keyring=keyring,
                                datastores=datastores, operator=operator,
                                batch_size=batch_size)  # fmt: skip
            session.commit()
        report = run_job(
            session,
            job=job,
            keyring=keyring,
            datastores=datastores,
            resumed=bool(notes),
            progress=progress,
            finish=_evidence(operator),
            per_datastore=False,  # bounded transactions: a sweep may touch millions of rows
        )
    return SweepReport(report, bool(notes), report.summary, notes)


def _resume_notes(job: Job, *, as_of: date, datamap: DataMap) -> list[str]:
    summary = (job.result or {}).get("summary", {})
    notes = [
        f"finishing the sweep as of {summary.get('as_of')} planned by "
        f"{summary.get('planned_by')} at {summary.get('planned_at', '')[:19]}, "
        "interrupted before it ended; run again for a new sweep"
    ]
    if summary.get("as_of") != as_of.isoformat():
        notes.append(f"--as-of {as_of.isoformat()} applies to the next sweep, not this one")
    if job.map_digest != map_fingerprint(datamap):
        notes.append("the data map changed since it was planned: its plan is followed as made")
    return notes


def _record_sweep(
    session: Session,
    *,
    plan: SweepPlan,
    datamap: DataMap,
    keyring: Keyring,
    datastores: Datastores,
    operator: str,
    batch_size: int,
) -> Job:
    """The job and its steps, isolation markers and anonymisation marks, and an audit entry:
    all in the caller's transaction, committed before any datastore is touched."""
    job = create_job(
        session,
        kind=JobKind.retention,
        identity=Identity(((LABEL, plan.as_of.isoformat()),)),
        keyring=keyring,
        datamap=datamap,
        changes=plan.changes(datamap),
        summary=plan.summary(operator=operator),
        batch_size=batch_size,
        datastores=datastores,
    )
    session.flush()
    for outcome, work in zip(plan.outcomes, plan.works, strict=True):
        if work.isolate:
            engine_repository.add_restrictions(
                session,
                identity_index=keyring.index(f"{LABEL}\x00{outcome.rule}"),
                reason=ISOLATED,
                records=[(outcome.dataset, index) for index in work.isolate],
            )
        if work.marks:
            repository.add_marks(session, rule=outcome.rule, dataset=outcome.dataset,
                                 job_id=job.id, record_indexes=work.marks)  # fmt: skip
    record_event(
        session,
        actor=operator,
        action="retention.sweep_planned",
        subject_type="job",
        subject_id=job.id,
        details={
            "as_of": plan.as_of.isoformat(),
            "rules": sorted({o.rule for o in plan.outcomes}),
            "to_act": sum(o.acted for o in plan.outcomes),
            "problems": len(plan.problems()),
        },
    )
    return job


def _evidence(operator: str) -> Finisher:
    """One audit entry per rule, written in the commit that marks the sweep done."""

    def finish(session: Session, job: Job) -> None:
        summary = (job.result or {}).get("summary", {})
        changed: dict[str, int] = {}
        for step in job.steps:
            changed[step.dataset] = changed.get(step.dataset, 0) + step.rows_changed
        by_rule: dict[str, dict[str, Any]] = {}
        for outcome in summary.get("outcomes", []):
            counts = {
                k: outcome.get(k, 0) for k in _COUNTS
            }  # a sweep planned before a count existed
            entry = {**counts, "action": outcome["action"], "problem": outcome["problem"]}
            entry["rows_changed_in_dataset"] = changed.get(outcome["dataset"], 0)
            by_rule.setdefault(outcome["rule"], {})[outcome["dataset"]] = entry
        for rule, datasets in by_rule.items():
            record_event(
                session,
                actor=operator,
                action="retention.swept",
                subject_type="retention_rule",
                subject_id=rule,
                details={
                    "job": job.id,
                    "as_of": summary.get("as_of"),
                    "planned_by": summary.get("planned_by"),
                    "planned_at": summary.get("planned_at"),
                    "finished_at": utcnow().isoformat(),
                    "requests_checked": summary.get("requests_checked"),
                    "datasets": datasets,
                },
            )

    return finish


_COUNTS = (
    "due",
    "acted",
    "held",
    "restricted",
    "requested",
    "kept_by_rules",
    "already",
    "no_parent",
)
