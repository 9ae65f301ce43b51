"""The rights-request workflow (DESIGN.md §3): intake, approval, denial, extension,
cancellation, the execution's outcome, and the records' end of life. Proof of identity is in
`proof.py` (its services are re-exported here).

Keyword-only services on a session they never commit. Mail and engine runs are deferred to
after the commit (`lawful.requests.jobs`). Every change is a transition of the state machine
(`states.py`), written to the request's timeline and to the audit trail (`timeline.py`).
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from lawful.datamap.models import Jurisdiction
from lawful.law.deadlines import DeadlineError
from lawful.law.denials import DenialError, DenialGround, DenialReason, check_denial
from lawful.requests import repository
from lawful.requests.clock import at_receipt, extended, store_deadlines, write_deadlines
from lawful.requests.context import RequestsContext
from lawful.requests.errors import ConflictError, InvalidInputError
from lawful.requests.forwards import ensure_no_open_forward
from lawful.requests.identity import seal_details, seal_identity
from lawful.requests.intake import CheckedIntake, Intake, check_intake
from lawful.requests.lookup import get_request as get_request
from lawful.requests.lookup import request_for_person as request_for_person
from lawful.requests.lookup import seal_status_token
from lawful.requests.lookup import status_token as status_token
from lawful.requests.models import RightsRequest, VerificationLevel
from lawful.requests.notify import EXECUTE_JOB
from lawful.requests.notify import queue_mail as queue_mail
from lawful.requests.objection import uphold_objection
from lawful.requests.proof import approve, ask_for_proof, mark_verified, store_document
from lawful.requests.proof import attach_document as attach_document
from lawful.requests.proof import confirm_identity as confirm_identity
from lawful.requests.proof import read_document as read_document
from lawful.requests.proof import record_data_point_match as record_data_point_match
from lawful.requests.proof import resend_code as resend_code
from lawful.requests.proof import verify_request as verify_request
from lawful.requests.records import close_request
from lawful.requests.states import RequestStatus
from lawful.requests.timeline import PERSON as PERSON
from lawful.requests.timeline import POLICY as POLICY
from lawful.requests.timeline import record, transition
from lawful.requests.verification import required_level
from lawful.store.models import new_id, utcnow
from lawful.store.tasks import TaskStatus, defer_job, run_again

S = RequestStatus
REFERENCE_LENGTH = 10  # base32: 50 random bits, not guessable


@dataclass(frozen=True)
class Submitted:
    request: RightsRequest
    status_token: str  # shown once to the person, with the reference; stored only hashed


def submit_request(
    session: Session,
    *,
    ctx: RequestsContext,
    intake: Intake,
    actor: str = PERSON,
    now: datetime | None = None,
) -> Submitted:
    """Check and store a new request, compute its deadlines at receipt, ask for proof of
    identity (or approve at once where the law needs none and policy says so), and queue the
    receipt and code mails. Raises InvalidInputError / UploadRejectedError before storing anything."""
    now = now or utcnow()
    checked = check_intake(intake, datamap=ctx.datamap)
    request, token = _new_request(session, ctx=ctx, checked=checked, now=now)
    record(
        session,
        request=request,
        actor=actor,
        action="received",
        now=now,
        details={
            "channel": checked.channel,
            **({"agent": checked.agent} if checked.agent else {}),
            "jurisdictions": request.jurisdictions,
            "respond_by": request.respond_by.isoformat(),
            "verification": request.verification_level.value,
        },
    )
    if checked.document is not None:
        store_document(session, ctx=ctx, request=request, document=checked.document, now=now)
    queue_mail(session, ctx=ctx, request=request, kind="receipt")
    if checked.agent_verified and request.verification_level is VerificationLevel.email_code:
        # 11 CCR §7063(a): an authorized agent's request carries the agent's own proof (its
        # signed request and its check of the person's email) in place of the code.
        how = "authorized agent's proof (11 CCR §7063)"
        mark_verified(session, ctx=ctx, request=request, actor=actor, now=now, how=how)
    else:
        ask_for_proof(session, ctx=ctx, request=request, actor=actor, now=now)
    return Submitted(request, token)


def _new_request(
    session: Session, *, ctx: RequestsContext, checked: CheckedIntake, now: datetime
) -> tuple[RightsRequest, str]:
    tz = ctx.zone()
    org = ctx.datamap.organization
    receipt = at_receipt(
        organization=org,
        request_type=checked.request_type,
        country=checked.country,
        region=checked.region,
        received_at=now,
        tz=tz,
    )
    deciding = receipt.deadlines.jurisdiction if receipt.deadlines else None
    token = secrets.token_urlsafe(24)
    request = RightsRequest(
        id=new_id(),
        reference=_new_reference(session),
        request_type=checked.request_type,
        status=S.received,
        channel=checked.channel,
        agent=checked.agent,
        residence_country=checked.country,
        residence_region=checked.region,
        timezone=str(tz),
        received_at=now,
        extensions=[],
        verification_level=required_level(
            checked.request_type, deciding, ctx.policy.verification_levels
        ),
        created_at=now,
        updated_at=now,
    )
    seal_status_token(ctx, request, token)
    seal_identity(ctx.keyring, request, checked.person)
    seal_details(ctx.keyring, request, checked.details)
    store_deadlines(request, receipt, organization=org, tz=tz)
    session.add(request)
    session.flush()
    return request, token


def _new_reference(session: Session) -> str:
    while True:
        reference = base64.b32encode(secrets.token_bytes(8)).decode()[:REFERENCE_LENGTH]
        if not repository.reference_taken(session, reference=reference):
            return reference


# --- decisions ---------------------------------------------------------------------------------


def approve_request(
    session: Session,
    *,
    ctx: RequestsContext,
    reference: str,
    actor: str,
    now: datetime | None = None,
) -> RightsRequest:
    """Staff say go: the request runs through the engine once this transaction commits."""
    request = get_request(session, reference=reference)
    approve(session, ctx=ctx, request=request, actor=actor, now=now or utcnow())
    return request


def deny_request(
    session: Session,
    *,
    ctx: RequestsContext,
    reference: str,
    reason: str,
    actor: str,
    note: str = "",
    now: datetime | None = None,
) -> RightsRequest:
    """Refuse, for a reason from the fixed list that the law allows for this request
    (`lawful.law.denials`); the person is told why and how to complain (GDPR Art. 12(4))."""
    now = now or utcnow()
    request = get_request(session, reference=reference)
    ground = _denial_ground(request, reason)
    request.denial_reason = ground.reason.value
    transition(
        session,
        request=request,
        to=S.denied,
        actor=actor,
        action="denied",
        now=now,
        details={"reason": ground.reason.value},
    )
    close_request(session, ctx=ctx, request=request, now=now)
    queue_mail(
        session, ctx=ctx, request=request, kind="denial", secret={"note": note.strip()[:2000]}
    )
    return request


def _denial_ground(request: RightsRequest, reason: str) -> DenialGround:
    try:
        wanted = DenialReason(reason)
    except ValueError:
        raise InvalidInputError(
            f"{reason!r} is not a denial reason; pick one from the list.", field="reason"
        ) from None
    jurisdiction = Jurisdiction(request.jurisdiction) if request.jurisdiction else None
    try:
        return check_denial(
            reason=wanted, request_type=request.request_type, jurisdiction=jurisdiction
        )
    except DenialError as error:
        raise InvalidInputError(str(error), field="reason") from None


def extend_request(
    session: Session,
    *,
    ctx: RequestsContext,
    reference: str,
    amount: int,
    reason: str,
    actor: str,
    now: datetime | None = None,
) -> RightsRequest:
    """Put the answer off (GDPR Art. 12(3): up to two more months, told within the first
    month, with reasons; CCPA: once, 45 days, told within the first 45). The person is told
    now, by mail: `now` is the time of telling the law checks."""
    now = now or utcnow()
    request = get_request(session, reference=reference)
    if request.status not in _EXTENDABLE:
        raise ConflictError(
            f"A request that is {request.status.value} cannot be extended.", field="status"
        )
    try:
        deadlines = extended(
            request, ctx.datamap.organization, amount=amount, reason=reason, now=now
        )
    except DeadlineError as error:
        raise InvalidInputError(str(error), field=_extension_field(str(error), reason)) from None
    done = deadlines.extensions[-1]
    request.extensions = [
        *request.extensions,
        {
            "amount": done.amount,
            "unit": done.unit.value,
            "reason": done.reason,
            "told_at": now.astimezone(UTC).isoformat(),
            "previous": done.previous.day.isoformat(),
        },
    ]
    write_deadlines(request, deadlines)
    request.updated_at = now
    record(
        session,
        request=request,
        actor=actor,
        action="extended",
        now=now,
        details={
            "amount": done.amount,
            "unit": done.unit.value,
            "respond_by": request.respond_by.isoformat(),
        },
    )
    queue_mail(session, ctx=ctx, request=request, kind="extension")
    return request


def _extension_field(message: str, reason: str) -> str | None:
    """Which input the law's refusal is about: the reasons, the length, or neither (time)."""
    if not reason.strip():
        return "reason"
    return "amount" if message.startswith("An extension") else None


_EXTENDABLE = frozenset({S.received, S.verifying, S.verified, S.approved, S.running})


def cancel_request(
    session: Session,
    *,
    ctx: RequestsContext,
    reference: str,
    actor: str,
    status_token: str | None = None,
    now: datetime | None = None,
) -> RightsRequest:
    """Withdrawn by the person (with their status token) or closed by staff, before running."""
    now = now or utcnow()
    if status_token is not None:
        request = request_for_person(
            session, ctx=ctx, reference=reference, status_token=status_token
        )
    else:
        request = get_request(session, reference=reference)
    transition(session, request=request, to=S.cancelled, actor=actor, action="cancelled", now=now)
    close_request(session, ctx=ctx, request=request, now=now)
    queue_mail(session, ctx=ctx, request=request, kind="cancelled")
    return request


# --- execution outcome (called by the job bodies in tasks.py) ----------------------------------


def start_running(session: Session, *, request: RightsRequest, now: datetime | None = None) -> None:
    transition(
        session, request=request, to=S.running, actor=POLICY, action="running", now=now or utcnow()
    )


def finish_request(
    session: Session,
    *,
    ctx: RequestsContext,
    request: RightsRequest,
    outcome: RequestStatus,
    result: dict[str, Any],
    actor: str = POLICY,
    now: datetime | None = None,
) -> None:
    """Attach the result (no personal data), close the request, tell the person."""
    now = now or utcnow()
    request.result = {**(request.result or {}), **result}
    transition(
        session,
        request=request,
        to=outcome,
        actor=actor,
        action=outcome.value,
        now=now,
        details={"summary": _summary(result)},
    )
    close_request(session, ctx=ctx, request=request, now=now)
    queue_mail(session, ctx=ctx, request=request, kind="completion")


def _summary(result: dict[str, Any]) -> dict[str, Any]:
    keys = ("records", "changed", "kept", "forwarded", "manual", "failed")
    return {k: result[k] for k in keys if k in result and isinstance(result[k], int)}


def complete_request(
    session: Session,
    *,
    ctx: RequestsContext,
    reference: str,
    actor: str,
    partial: bool = False,
    note: str = "",
    objected: Sequence[str] = (),
    now: datetime | None = None,
) -> RightsRequest:
    """Staff close a request the engine cannot carry out alone (an objection to one purpose,
    a complaint, post-mortem directions), saying what was done. `objected`: the purposes an
    upheld objection covers (Art. 21(1)), written to the consent ledger."""
    request = get_request(session, reference=reference)
    ensure_no_open_forward(session, request=request)
    outcome = S.partially_completed if partial else S.completed
    result: dict[str, Any] = {"handled_by_staff": True, "note": " ".join(note.split())[:2000]}
    if objected:
        uphold_objection(session, ctx=ctx, request=request, purposes=objected, actor=actor)
        result["objected_purposes"] = sorted(set(objected))
    finish_request(
        session, ctx=ctx, request=request, outcome=outcome, result=result, actor=actor, now=now
    )
    return request


def note_execution_problem(
    session: Session,
    *,
    request: RightsRequest,
    problems: list[str],
    now: datetime | None = None,
) -> None:
    """The engine could not finish: the request stays running, staff see why and retry.
    The problems (which may quote a datastore) stay in the timeline, out of the audit trail."""
    record(
        session,
        request=request,
        actor=POLICY,
        action="execution_failed",
        now=now or utcnow(),
        details={"problems": len(problems)},
        staff_only={"problems": [p[:300] for p in problems[:20]]},
    )


def retry_execution(
    session: Session,
    *,
    ctx: RequestsContext,
    reference: str,
    actor: str,
    now: datetime | None = None,
) -> RightsRequest:
    """Run a request again whose execution stopped; the engine resumes, never repeats. Its
    job waiting for a retry (or failed) runs now; one under way is left to finish, so the
    request is never run by two workers at once."""
    request = get_request(session, reference=reference)
    if request.status is not S.running:
        raise ConflictError(
            f"Only a running request can be retried; this one is {request.status.value}."
        )
    waiting = run_again(session, queue=ctx.jobs, request_id=request.id, kind=EXECUTE_JOB)
    if waiting is TaskStatus.running:
        raise ConflictError("This request is being run right now; wait for it to end.")
    record(session, request=request, actor=actor, action="retried", now=now or utcnow())
    if waiting is None:
        payload = {"request_id": request.id, "retry": True}
        defer_job(session, queue=ctx.jobs, kind=EXECUTE_JOB, payload=payload)
    return request
