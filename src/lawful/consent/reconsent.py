"""The mails a material notice change owes: who is asked for fresh consent, and where each
person stands until they answer.

Publishing a material change (`lawful.consent.notices.publish_notice`) starts one run per
notice version (a unique row: two staff publishing at once make one run) listing, once each,
the people whose running consent to an affected purpose relied on the older notice (GDPR
Art. 7(1): consent must be demonstrable for the words the person read; EDPB Guidelines 05/2020
on consent, §111: a material change calls for fresh consent). The list is the checkpoint the
sender (`lawful.consent.reconsent_mail`) works through: a row is claimed before its mail is
handed over, so no crash, retry or second worker mails anyone twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from lawful.consent import repository
from lawful.consent.models import (
    AskStatus,
    ConsentEvent,
    ConsentState,
    NoticeVersion,
    ReconsentAsk,
    ReconsentRun,
    SubjectKind,
)
from lawful.store.audit import record_event
from lawful.store.tasks import JOBS_LANE, Dispatcher, defer_job

RECONSENT_JOB = "consent.reconsent"
BATCH = 500  # people mailed per task: a task stays short, a crash loses no more than one mail
_INSERT_CHUNK = 1000


class LaterDispatch:
    """For a command without a worker: the task is stored, and the poller of `lawful serve`
    or `lawful worker` hands it over (or `lawful consent ask-again` sends it now)."""

    def dispatch(self, task_ids: Sequence[str], *, lane: str = JOBS_LANE) -> None:
        return None


def start_reconsent(
    session: Session,
    *,
    notice: NoticeVersion,
    purposes: Sequence[str],
    actor: str,
    queue: Dispatcher | None = None,
) -> ReconsentRun:
    """List the people to ask again for `purposes` after `notice` and queue the first batch
    (in the caller's transaction: nothing is queued if it rolls back)."""
    people: dict[str, tuple[bytes, str, list[str]]] = {}
    for purpose in purposes:
        for index, sealed, kind in repository.reconsent_people(
            session, purpose=purpose, changed=notice.published_at
        ):
            found = people.setdefault(index, (sealed, kind, []))
            found[2].append(purpose)
    run = ReconsentRun(notice_id=notice.id, created_at=notice.published_at, total=len(people))
    session.add(run)
    session.flush()
    rows = [
        {
            "run_id": run.id,
            "subject_index": index,
            "subject_sealed": sealed,
            "purposes": ",".join(asked),
            "status": AskStatus.pending if kind == SubjectKind.email else AskStatus.no_address,
        }
        for index, (sealed, kind, asked) in people.items()
    ]
    for start in range(0, len(rows), _INSERT_CHUNK):
        session.execute(insert(ReconsentAsk), rows[start : start + _INSERT_CHUNK])
    # Someone an earlier run has not mailed yet gets this run's mail only: one ask, the latest.
    this_run = select(ReconsentAsk.subject_index).where(ReconsentAsk.run_id == run.id)
    session.execute(
        update(ReconsentAsk)
        .where(
            ReconsentAsk.run_id != run.id,
            ReconsentAsk.status == AskStatus.pending,
            ReconsentAsk.subject_index.in_(this_run.scalar_subquery()),
        )
        .values(status=AskStatus.superseded),
        execution_options={"synchronize_session": False},
    )
    defer_job(
        session, queue=queue or LaterDispatch(), kind=RECONSENT_JOB, payload={"run_id": run.id}
    )
    record_event(
        session,
        actor=actor,
        action="consent.reconsent_queued",
        subject_type="notice_version",
        subject_id=notice.version,
        details={"people": len(people), "purposes": list(purposes)},
    )
    return run


@dataclass(frozen=True)
class RunProgress:
    """How far a run is, and where the people it asked stand."""

    version: str
    total: int
    pending: int
    mailed: int
    unconfirmed: int  # claimed, the sender stopped before it could record the mail
    no_address: int
    answered_yes: int
    answered_no: int
    finished_at: datetime | None

    @property
    def done(self) -> int:
        return self.total - self.pending

    @property
    def no_answer(self) -> int:
        return self.mailed - self.answered_yes - self.answered_no


def run_of(session: Session, *, version: str) -> ReconsentRun | None:
    query = (
        select(ReconsentRun)
        .join(NoticeVersion, NoticeVersion.id == ReconsentRun.notice_id)
        .where(NoticeVersion.version == version)
    )
    return session.scalars(query).first()


def run_progress(session: Session, *, run: ReconsentRun) -> RunProgress:
    notice = session.get(NoticeVersion, run.notice_id)
    assert notice is not None  # a run is deleted with its notice
    counts = dict(
        session.execute(
            select(ReconsentAsk.status, func.count())
            .where(ReconsentAsk.run_id == run.id)
            .group_by(ReconsentAsk.status)
        ).all()
    )
    answers = list(answer_states(session, run=run, changed=notice.published_at).values())
    return RunProgress(
        version=notice.version,
        total=run.total,
        pending=counts.get(AskStatus.pending, 0),
        mailed=counts.get(AskStatus.mailed, 0),
        unconfirmed=counts.get(AskStatus.sending, 0),
        no_address=counts.get(AskStatus.no_address, 0),
        answered_yes=answers.count("yes"),
        answered_no=answers.count("no"),
        finished_at=run.finished_at,
    )


def answer_states(session: Session, *, run: ReconsentRun, changed: datetime) -> dict[str, str]:
    """For each person mailed by the run who answered since the change: "yes" when every purpose
    asked about was consented to again, else "no" (refused or withdrawn, or some not yet)."""
    query = (
        select(
            ReconsentAsk.subject_index,
            ReconsentAsk.purposes,
            ConsentEvent.purpose,
            ConsentEvent.state,
        )
        .join(ConsentEvent, ConsentEvent.subject_index == ReconsentAsk.subject_index)
        .where(
            ReconsentAsk.run_id == run.id,
            ReconsentAsk.status == AskStatus.mailed,
            ConsentEvent.purpose.is_not(None),
            ConsentEvent.at >= changed,
        )
        .order_by(ConsentEvent.at, ConsentEvent.id)
    )
    latest: dict[str, dict[str, ConsentState]] = {}
    asked: dict[str, set[str]] = {}
    for index, purposes, purpose, state in session.execute(query):
        wanted = asked.setdefault(index, set(purposes.split(",")))
        if purpose in wanted:
            latest.setdefault(index, {})[purpose] = state
    return {
        index: (
            "yes"
            if set(states) == asked[index] and all(s is ConsentState.given for s in states.values())
            else "no"
        )
        for index, states in latest.items()
    }
