"""Proof of identity for a rights request (DESIGN.md §3): the code sent at intake, data points
matched against the records held, ID documents, staff confirmation, and the approval that
follows when policy says so.

Keyword-only services on a session they never commit, like `service.py`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from lawful.requests import repository
from lawful.requests.context import RequestsContext
from lawful.requests.errors import ConflictError, RequestNotFoundError, TooManyDocumentsError
from lawful.requests.lookup import get_request, request_for_person
from lawful.requests.models import CodePurpose, IdentityDocument, RightsRequest, VerificationLevel
from lawful.requests.notify import EXECUTE_JOB, MAIL_JOB, MATCH_JOB, queue_mail
from lawful.requests.states import RequestStatus
from lawful.requests.timeline import PERSON, POLICY, record, transition
from lawful.requests.verification import (
    CodeOutcome,
    Upload,
    check_code,
    check_document,
    issue_code,
)
from lawful.store.models import new_id, utcnow
from lawful.store.tasks import defer_job, withdraw_queued

S = RequestStatus

CODE_MAIL = "verification_code"


def ask_for_proof(
    session: Session, *, ctx: RequestsContext, request: RightsRequest, actor: str, now: datetime
) -> None:
    """Send the code that starts the proof, or mark verified where none is needed."""
    if request.verification_level is VerificationLevel.none:
        mark_verified(session, ctx=ctx, request=request, actor=POLICY, now=now, how="none needed")
        return
    code = issue_code(
        session, keyring=ctx.keyring, request=request, purpose=CodePurpose.verify, now=now
    )
    transition(session, request=request, to=S.verifying, actor=actor, action="code_sent", now=now)
    queue_mail(session, ctx=ctx, request=request, kind=CODE_MAIL, secret={"code": code})


def mark_verified(
    session: Session,
    *,
    ctx: RequestsContext,
    request: RightsRequest,
    actor: str,
    now: datetime,
    how: str,
) -> None:
    """The person is who they say; approve at once where policy auto-approves this type."""
    request.verified_at = now
    transition(
        session,
        request=request,
        to=S.verified,
        actor=actor,
        action="verified",
        now=now,
        details={"level": request.verification_level.value, "how": how},
    )
    if request.request_type in ctx.policy.auto_approve:
        approve(session, ctx=ctx, request=request, actor=POLICY, now=now)


def verify_request(
    session: Session,
    *,
    ctx: RequestsContext,
    reference: str,
    code: str,
    now: datetime | None = None,
) -> tuple[RightsRequest, CodeOutcome]:
    """Check the code sent at intake. A wrong try is recorded: commit even when the outcome
    carries an error, then report it (the fifth wrong try locks the request)."""
    now = now or utcnow()
    request = get_request(session, reference=reference)
    if request.status is not S.verifying:
        raise ConflictError(_not_waiting(request), field="code")
    outcome = check_code(
        session,
        keyring=ctx.keyring,
        request=request,
        purpose=CodePurpose.verify,
        code=code,
        now=now,
    )
    if outcome.error is not None:
        action = "code_locked" if outcome.locked_now else "code_rejected"
        record(session, request=request, actor=PERSON, action=action, now=now)
        return request, outcome
    _code_accepted(session, ctx=ctx, request=request, now=now)
    return request, outcome


def _not_waiting(request: RightsRequest) -> str:
    if request.verified_at is not None:
        return "This request is already verified: there is no code to enter."
    return f"This request is {request.status.value}: it is not waiting for a code."


def _code_accepted(
    session: Session, *, ctx: RequestsContext, request: RightsRequest, now: datetime
) -> None:
    level = request.verification_level
    if level is VerificationLevel.email_code:
        mark_verified(session, ctx=ctx, request=request, actor=PERSON, now=now, how="email code")
        return
    record(session, request=request, actor=PERSON, action="code_accepted", now=now)
    if level is VerificationLevel.data_points:
        defer_job(session, queue=ctx.jobs, kind=MATCH_JOB, payload={"request_id": request.id})
    # id_document: staff look at the document and confirm (`confirm_identity`).


def resend_code(
    session: Session, *, ctx: RequestsContext, reference: str, now: datetime | None = None
) -> RightsRequest:
    """A fresh verification code to the address given (the old one stops working)."""
    now = now or utcnow()
    request = get_request(session, reference=reference)
    if request.status is not S.verifying or _code_was_accepted(request):
        raise ConflictError(_not_waiting(request), field="code")
    code = issue_code(
        session, keyring=ctx.keyring, request=request, purpose=CodePurpose.verify, now=now
    )
    record(session, request=request, actor=PERSON, action="code_sent", now=now)
    queue_mail(session, ctx=ctx, request=request, kind=CODE_MAIL, secret={"code": code})
    return request


def _code_was_accepted(request: RightsRequest) -> bool:
    return any(e.action == "code_accepted" for e in request.events)


def record_data_point_match(
    session: Session,
    *,
    ctx: RequestsContext,
    request: RightsRequest,
    matched: int,
    needed: int,
    now: datetime | None = None,
) -> None:
    """The outcome of matching the person's details against the records held: verified when
    enough match, otherwise left for staff to decide (confirm, or deny as not verified)."""
    now = now or utcnow()
    details = {"matched": matched, "needed": needed}
    if matched >= needed and request.status is S.verifying:
        record(
            session,
            request=request,
            actor=POLICY,
            action="data_points_matched",
            now=now,
            details=details,
        )
        mark_verified(session, ctx=ctx, request=request, actor=POLICY, now=now, how="data points")
        return
    record(
        session, request=request, actor=POLICY, action="data_points_short", now=now, details=details
    )


def attach_document(
    session: Session,
    *,
    ctx: RequestsContext,
    reference: str,
    status_token: str,
    upload: Upload,
    now: datetime | None = None,
) -> IdentityDocument:
    """An ID document for a request still being verified: checked, then sealed; refused
    beyond `policy.max_documents` per request."""
    now = now or utcnow()
    request = request_for_person(session, ctx=ctx, reference=reference, status_token=status_token)
    if request.status not in (S.received, S.verifying):
        raise ConflictError(_not_waiting(request), field="document")
    content_type = check_document(upload)
    # Counted under the request's row lock: parallel uploads cannot pass the limit together.
    repository.lock_request(session, request_id=request.id)
    if repository.count_documents(session, request_id=request.id) >= ctx.policy.max_documents:
        raise TooManyDocumentsError(
            f"This request already has {ctx.policy.max_documents} ID documents, the most it "
            "takes. Staff will look at them; contact us if one of them was wrong.",
            field="document",
        )
    return store_document(
        session, ctx=ctx, request=request, document=(content_type, upload.data), now=now
    )


def store_document(
    session: Session,
    *,
    ctx: RequestsContext,
    request: RightsRequest,
    document: tuple[str, bytes],
    now: datetime,
) -> IdentityDocument:
    """Seal an ID document (already checked) on the request and record its receipt."""
    content_type, data = document
    stored = IdentityDocument(
        id=new_id(),
        request_id=request.id,
        content_type=content_type,
        size=len(data),
        uploaded_at=now,
    )
    stored.sealed = ctx.keyring.encrypt(data, context=f"request_document:{stored.id}")
    session.add(stored)
    record(
        session,
        request=request,
        actor=PERSON,
        action="document_received",
        now=now,
        details={"document": stored.id, "content_type": content_type, "size": len(data)},
    )
    return stored


def read_document(
    session: Session,
    *,
    ctx: RequestsContext,
    reference: str,
    document_id: str,
    actor: str,
    now: datetime | None = None,
) -> tuple[str, bytes]:
    """Staff open an ID document (content type, bytes); the opening is audited."""
    request = get_request(session, reference=reference)
    found = [d for d in repository.documents(session, request_id=request.id) if d.id == document_id]
    if not found:
        raise RequestNotFoundError("No such document on this request (it is deleted once closed).")
    data = ctx.keyring.decrypt(found[0].sealed, context=f"request_document:{document_id}")
    record(
        session,
        request=request,
        actor=actor,
        action="document_viewed",
        now=now or utcnow(),
        details={"document": document_id},
    )
    return found[0].content_type, data


def confirm_identity(
    session: Session,
    *,
    ctx: RequestsContext,
    reference: str,
    actor: str,
    how: str = "checked by staff",
    now: datetime | None = None,
) -> RightsRequest:
    """Staff confirm who the person is (an ID document seen, a call back, enough details)."""
    now = now or utcnow()
    request = get_request(session, reference=reference)
    how = " ".join(how.split())[:200] or "checked by staff"
    mark_verified(session, ctx=ctx, request=request, actor=actor, now=now, how=how)
    _withdraw_code_mail(session, request=request, now=now)
    return request


def _withdraw_code_mail(session: Session, *, request: RightsRequest, now: datetime) -> None:
    """A code mail still waiting to go out is not needed any more: it is withdrawn in this
    commit and the timeline says so (one commit, not one more for the mail's job; issue 19).
    One a worker is already sending finds the request verified and says so itself."""
    kind = {"mail": CODE_MAIL}
    if withdraw_queued(session, request_id=request.id, kind=MAIL_JOB, payload_is=kind):
        record(session, request=request, actor=POLICY, action="mail_not_needed", now=now,
               details=kind)  # fmt: skip


def approve(
    session: Session, *, ctx: RequestsContext, request: RightsRequest, actor: str, now: datetime
) -> None:
    """Approve: the request runs through the engine once this transaction commits."""
    transition(session, request=request, to=S.approved, actor=actor, action="approved", now=now)
    defer_job(session, queue=ctx.jobs, kind=EXECUTE_JOB, payload={"request_id": request.id})
