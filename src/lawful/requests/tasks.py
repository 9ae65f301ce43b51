"""The job bodies of the workflow — send a mail, run an approved request, match data
points — and the runtime they run in. Each opens its own session and commits its own work;
tasks (`lawful.store.tasks`) hand them over only after the commit that asked. A body raises
`RetryLaterError` when something that may pass stopped it (the mail server, a datastore): the
worker runs it again later, and tells the request's timeline when it gives up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy.orm import Session, sessionmaker

from lawful.engine.errors import EngineError, IdentityError
from lawful.law.requests import RequestType
from lawful.requests import hooks, repository
from lawful.requests.context import RequestsContext
from lawful.requests.delivery import store_package
from lawful.requests.execution import (
    EngineEnv,
    EngineOutcome,
    RunOrder,
    match_data_points,
    package_bytes,
    run_request,
)
from lawful.requests.forwarding import ForwardedRequest, ForwardResult, forward_to_client
from lawful.requests.forwards import done_clients, forward_summary, forwards_made, save_forwards
from lawful.requests.identity import engine_identity, open_details, open_identity
from lawful.requests.mail import Mailer, MailError, render_mail
from lawful.requests.models import ForwardStatus, RightsRequest
from lawful.requests.notices import mail_context
from lawful.requests.notify import EXECUTE_JOB, MAIL_JOB, MATCH_JOB, open_sealed
from lawful.requests.proof import CODE_MAIL
from lawful.requests.service import (
    POLICY,
    finish_request,
    note_execution_problem,
    record_data_point_match,
    start_running,
    status_token,
)
from lawful.requests.states import RequestStatus
from lawful.requests.timeline import record
from lawful.store.db import commit_checkpoint
from lawful.store.models import utcnow
from lawful.store.tasks import Payload, RetryLaterError, finish_task_with

logger = logging.getLogger(__name__)
S = RequestStatus
T = RequestType
AWAITING = "awaiting_forwards"  # a run done, some client not told yet: staff send it on


@dataclass(frozen=True)
class RequestsRuntime:
    """Everything a job needs: the services' context, the stores, the mailer, a clock."""

    ctx: RequestsContext
    engine: EngineEnv
    mailer: Mailer
    environ: Mapping[str, str]
    http: Callable[[], httpx.Client] = httpx.Client
    clock: Callable[[], datetime] = utcnow

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.engine.sessions


Body = Callable[[Payload], None]


def job_bodies(runtime: RequestsRuntime) -> dict[str, Body]:
    """The workflow's job kinds and the function that runs each."""
    return {
        MAIL_JOB: lambda payload: send_request_mail(runtime, payload),
        EXECUTE_JOB: lambda payload: execute_request(runtime, payload),
        MATCH_JOB: lambda payload: match_request_data_points(runtime, payload),
    }


def record_gave_up(runtime: RequestsRuntime, kind: str, payload: Payload, message: str) -> None:
    """A job of a request kept failing: its timeline says so, for staff to act on."""
    request_id = payload.get("request_id")
    if not request_id:
        return
    with runtime.sessions() as session:
        request = repository.by_id(session, request_id=str(request_id))
        if request is None:
            return
        action = "mail_failed" if kind == MAIL_JOB else "job_failed"
        details = {"job": kind, "mail": payload["mail"]} if kind == MAIL_JOB else {"job": kind}
        record(
            session,
            request=request,
            actor=POLICY,
            action=action,
            now=runtime.clock(),
            details=details,
            staff_only={"error": message[:300]},
        )
        session.commit()


# --- mail ------------------------------------------------------------------------------------


def send_request_mail(runtime: RequestsRuntime, payload: Payload) -> None:
    """Render and send one mail to the person; the timeline says whether it went."""
    kind = str(payload["mail"])
    ctx = runtime.ctx
    with runtime.sessions() as session:
        request = repository.by_id(session, request_id=str(payload["request_id"]))
        if request is None:  # purged meanwhile
            return
        if kind == CODE_MAIL and request.status is not S.verifying:
            _code_not_needed(runtime, session, request)
            return
        person = open_identity(ctx.keyring, request)
        package = repository.latest_package(session, request_id=request.id)
        facts = mail_context(
            ctx,
            request,
            token=status_token(ctx, request),
            package=package,
            secret=open_sealed(ctx, payload),
        )
        now = runtime.clock()
        try:
            runtime.mailer.send(render_mail(kind, to=person.email, context=facts))
        except MailError as error:
            # The mail waits: sent again, later, until the server takes it.
            raise RetryLaterError(
                f"the mail server did not take the {kind} mail ({type(error).__name__})"
            ) from None
        if kind == "receipt" and request.acknowledged_at is None:
            request.acknowledged_at = now  # 11 CCR §7021(a): receipt confirmed
        record(
            session,
            request=request,
            actor=POLICY,
            action="mail_sent",
            now=now,
            details={"mail": kind},
        )
        finish_task_with(session)
        session.commit()


def _code_not_needed(runtime: RequestsRuntime, session: Session, request: RightsRequest) -> None:
    """Staff confirmed who the person is before the code went out (or the request was
    closed): a code nobody can enter any more is not sent; the timeline says so."""
    record(session, request=request, actor=POLICY, action="mail_not_needed",
           now=runtime.clock(), details={"mail": CODE_MAIL})  # fmt: skip
    finish_task_with(session)
    session.commit()


# --- execution -------------------------------------------------------------------------------


def execute_request(runtime: RequestsRuntime, payload: Payload) -> None:
    """Run an approved request through the engine, forward what clients control, store the
    package, and close the request with its result. A failure leaves it running, with the
    reasons in its timeline, for staff to retry (the engine resumes, never repeats). A forward
    left open also keeps it running, until staff record it (`forwards.record_forward`)."""
    with runtime.sessions() as session:
        request = repository.by_id(session, request_id=str(payload["request_id"]))
        if request is None or request.status not in (S.approved, S.running):
            return  # cancelled or already finished
        if request.status is S.approved:
            start_running(session, request=request, now=runtime.clock())
            # Seen at once (staff can no longer cancel); on disk with the closing commit,
            # which waits for it. Lost in a crash of the database server, the request is
            # approved again and its task claimed again: the run is only started again.
            commit_checkpoint(session)
        stored = _ran_before(request)
        if stored is not None:  # only forwards were missing: never change the data twice
            _finish(runtime, session, request, stored)
            finish_task_with(session)
            session.commit()
            return
        outcome, problem = _run(runtime, session, request)
        if problem:  # a datastore down, a step failed: the engine resumes on the next attempt
            session.commit()
            raise RetryLaterError(problem)
        if outcome is not None:
            _finish(runtime, session, request, outcome)
        # The closing step's timeline, audit and the task's end: one commit.
        finish_task_with(session)
        session.commit()


def _ran_before(request: RightsRequest) -> EngineOutcome | None:
    """The outcome of a run that waits for forwards, unless it must run again: an access
    package is built at closing, from a fresh (read-only) run, to name the forwards made."""
    waiting = (request.result or {}).get(AWAITING)
    if not isinstance(waiting, dict) or request.request_type in (T.access, T.portability):
        return None
    result = {k: v for k, v in (request.result or {}).items() if k != AWAITING}
    own, partial = int(waiting.get("own_records", 0)), bool(waiting.get("partial"))
    return EngineOutcome(True, own, result, [], partial)


def _run(
    runtime: RequestsRuntime, session: Session, request: RightsRequest
) -> tuple[EngineOutcome | None, str]:
    """The engine's outcome, or why the run must be tried again ("" when not)."""
    ctx = runtime.ctx
    now = runtime.clock()
    try:
        identity = engine_identity(open_identity(ctx.keyring, request), ctx.datamap)
        order = RunOrder(
            request.reference,
            request.request_type,
            identity,
            request.channel,
            open_details(ctx.keyring, request),
            now.astimezone(ZoneInfo(request.timezone)).date(),
            now,
        )
        outcome = run_request(runtime.engine, order)
    except IdentityError as error:  # will not pass by itself: staff must look
        note_execution_problem(
            session, request=request, problems=[str(p) for p in error.problems], now=now
        )
        return None, ""
    except EngineError as error:
        note_execution_problem(
            session, request=request, problems=[str(p) for p in error.problems], now=now
        )
        return (
            None,
            f"the engine could not start: {len(error.problems)} problem(s), see the request",
        )
    except Exception as error:
        # The class only: a driver's message can quote personal data.
        problem = f"unexpected {type(error).__name__}; see the server log, then retry"
        logger.error("request %s: execution failed: %s", request.reference, type(error).__name__)
        note_execution_problem(session, request=request, problems=[problem], now=now)
        return None, problem
    if outcome is None:
        if not any(e.action == "awaiting_staff" for e in request.events):
            record(session, request=request, actor=POLICY, action="awaiting_staff", now=now)
        return None, ""
    if not outcome.done:
        note_execution_problem(session, request=request, problems=outcome.problems, now=now)
        return None, f"{len(outcome.problems)} step(s) failed, see the request; the run resumes"
    return outcome, ""


def _finish(
    runtime: RequestsRuntime, session: Session, request: RightsRequest, outcome: EngineOutcome
) -> None:
    ctx = runtime.ctx
    now = runtime.clock()
    done = done_clients(session, request=request)
    sent = _forward(runtime, request, outcome, now, skip=done)
    rows = save_forwards(session, request=request, results=sent, now=now)
    made = forwards_made(rows)
    result = {**outcome.result, "forwards": forward_summary(rows), "forwarded": len(made)}
    still_open = [row.client for row in rows if row.status is ForwardStatus.open]
    if still_open:  # a to-do for staff: the request waits for them (GDPR Art. 28(3)(e))
        waiting = {"own_records": outcome.own_records, "partial": outcome.partial}
        request.result = {**result, AWAITING: waiting}
        details = {"clients": still_open}
        record(session, request=request, actor=POLICY, action=AWAITING, now=now, details=details)
        return
    request.result = {k: v for k, v in (request.result or {}).items() if k != AWAITING}
    if outcome.access is not None:
        kind = request.request_type.value
        store_package(
            session,
            ctx=ctx,
            request=request,
            content=package_bytes(
                outcome.access, datamap=ctx.datamap, forwards=made, reference=request.reference
            ),
            file_name=f"{kind}-{request.reference}.zip",
            now=now,
        )
    finish_request(
        session,
        ctx=ctx,
        request=request,
        outcome=final_status(outcome, told=len(made)),
        result=result,
        now=now,
    )


def final_status(outcome: EngineOutcome, *, told: int) -> RequestStatus:
    """Forwarded when the person's data is only a client's (every client told); done in part
    when something was kept or left to staff; completed otherwise."""
    if outcome.own_records == 0 and told and not outcome.partial:
        return S.forwarded
    if outcome.partial:
        return S.partially_completed
    return S.completed


def _forward(
    runtime: RequestsRuntime,
    request: RightsRequest,
    outcome: EngineOutcome,
    now: datetime,
    *,
    skip: set[str],
) -> list[ForwardResult]:
    """Send the request to each client holding the person that was not told yet, then to
    our processors that take requests by a protocol (`hooks.FORWARDERS`)."""
    shares = [share for share in outcome.shares if share.client not in skip]
    others = [
        result
        for f in tuple(hooks.FORWARDERS)
        for result in f(runtime, request, now=now, skip=skip)
    ]
    if not shares:
        return others
    ctx = runtime.ctx
    org = ctx.datamap.organization
    facts = ForwardedRequest(
        request.reference,
        request.request_type.value,
        request.received_at.isoformat(),
        request.respond_by.isoformat(),
        org.name,
    )
    with runtime.http() as http:
        return others + [
            forward_to_client(
                share,
                datamap=ctx.datamap,
                request=facts,
                mailer=runtime.mailer,
                environ=runtime.environ,
                http=http,
                now=now,
            )
            for share in shares
        ]


# --- stronger verification -------------------------------------------------------------------


def match_request_data_points(runtime: RequestsRuntime, payload: Payload) -> None:
    ctx = runtime.ctx
    with runtime.sessions() as session:
        request = repository.by_id(session, request_id=str(payload["request_id"]))
        if request is None or request.status is not S.verifying:
            return
        person = open_identity(ctx.keyring, request)
        try:
            identity = engine_identity(person, ctx.datamap)
            matched = match_data_points(runtime.engine, person=person, identity=identity)
        except EngineError as error:
            note_execution_problem(
                session,
                request=request,
                problems=[str(p) for p in error.problems],
                now=runtime.clock(),
            )
            session.commit()
            return
        record_data_point_match(
            session,
            ctx=ctx,
            request=request,
            matched=matched,
            needed=ctx.policy.data_points,
            now=runtime.clock(),
        )
        session.commit()
