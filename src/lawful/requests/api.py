"""The JSON API for rights requests, under /api/v1 (OpenAPI at /docs).

A person: POST /requests (public, rate-limited), then /verify with the mailed code and the
status token (the reference alone, which mail subjects show, cannot lock or resend), then
GET /requests/{reference} with the token in the `X-Status-Token` header to follow it (never
in the address, which proxies and logs keep: `?token=` is refused with a 400). Staff, with an API token: the queue and each
request under /staff/requests, and the decisions (scopes requests:read, requests:write).
Errors: `{"error": {"code", "message", "field"}}`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Header, Query, Request, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse

from lawful.auth.models import ApiToken
from lawful.http.bounds import Offset
from lawful.http.deps import DbSession, PlatformDep, RateLimited, require_scopes, token_actor
from lawful.http.errors import BODY_ERRORS, TOKEN_ERRORS, error_body, error_responses
from lawful.requests import forwards, live, service, views
from lawful.requests.deps import RequestsCtx
from lawful.requests.errors import RequestError, TokenInAddressError
from lawful.requests.intake import Intake
from lawful.requests.schemas import (
    CodeIn,
    CompleteIn,
    ConfirmIn,
    DenyIn,
    DetailOut,
    ExtendIn,
    ForwardIn,
    IntakeIn,
    PageOut,
    PersonStatusOut,
    StatusOut,
    SubmittedOut,
    SummaryOut,
    TokenIn,
)
from lawful.requests.verification import MAX_DOCUMENT_BYTES, Upload
from lawful.store.models import utcnow

router = APIRouter(prefix="/api/v1", tags=["requests"])
Reader = Annotated[ApiToken, Depends(require_scopes("requests:read"))]
Writer = Annotated[ApiToken, Depends(require_scopes("requests:write"))]
# The errors each kind of route may answer, as the OpenAPI document lists them.
PERSON_ERRORS = error_responses(404, 409, 422, 429)
STAFF_ERRORS = TOKEN_ERRORS | error_responses(404, 409, 422)


def refusal(error: RequestError) -> JSONResponse:
    """An error answered without raising, so the session still commits (a wrong code counts)."""
    body = error_body(code=error.code, message=error.message, field=error.field)
    return JSONResponse(body, status_code=error.http_status)


@router.post(
    "/requests",
    status_code=201,
    dependencies=[RateLimited],
    response_model=SubmittedOut,
    responses=BODY_ERRORS | error_responses(429),
)
def submit(body: IntakeIn, db: DbSession, ctx: RequestsCtx) -> SubmittedOut:
    """Make a request. Returns its reference and the status token (shown only here)."""
    fields = body.model_dump()
    intake = Intake(request_type=fields.pop("type"), channel="api", **fields)
    done = service.submit_request(db, ctx=ctx, intake=intake)
    found = done.request
    return SubmittedOut(
        reference=found.reference,
        status_token=done.status_token,
        status=found.status.value,
        respond_by=found.respond_by,
        verification=found.verification_level.value,
    )


@router.post(
    "/requests/{reference}/verify",
    dependencies=[RateLimited],
    response_model=StatusOut,
    responses=PERSON_ERRORS | BODY_ERRORS,
)
def verify(
    reference: str, body: CodeIn, db: DbSession, ctx: RequestsCtx
) -> StatusOut | JSONResponse:
    """Enter the code mailed at intake, with the status token; the fifth wrong code locks."""
    found = service.request_for_person(db, ctx=ctx, reference=reference, status_token=body.token)
    found, outcome = service.verify_request(db, ctx=ctx, reference=found.reference, code=body.code)
    if outcome.error is not None:
        return refusal(outcome.error)
    return StatusOut(reference=found.reference, status=found.status.value)


@router.post(
    "/requests/{reference}/code",
    dependencies=[RateLimited],
    response_model=StatusOut,
    responses=PERSON_ERRORS | BODY_ERRORS,
)
def resend(reference: str, body: TokenIn, db: DbSession, ctx: RequestsCtx) -> StatusOut:
    """Send a new code to the address given (the previous one stops working); needs the
    status token, and at most 10 codes are sent per request."""
    found = service.request_for_person(db, ctx=ctx, reference=reference, status_token=body.token)
    found = service.resend_code(db, ctx=ctx, reference=found.reference)
    return StatusOut(reference=found.reference, status=found.status.value)


STATUS_TOKEN_HEADER = "X-Status-Token"  # noqa: S105 (a header name, not a secret)


def token_not_in_address(request: Request) -> None:
    """Refuse the old `?token=` form: by the time it arrives, the token is already in every
    proxy's and browser's record of the address, so it cannot be made safe."""
    if "token" in request.query_params:
        raise TokenInAddressError(STATUS_TOKEN_HEADER)


@router.get(
    "/requests/{reference}",
    dependencies=[RateLimited, Depends(token_not_in_address)],
    response_model=PersonStatusOut,
    responses=error_responses(400, 404, 422, 429),
)
def status(
    reference: str,
    db: DbSession,
    ctx: RequestsCtx,
    token: Annotated[
        str,
        Header(
            alias=STATUS_TOKEN_HEADER,
            min_length=1,
            max_length=100,
            description="The status token given at intake (a header: addresses are logged)",
        ),
    ],
) -> PersonStatusOut:
    """Where the request stands, for the person who made it."""
    view = views.person_status(db, ctx=ctx, reference=reference, status_token=token)
    return PersonStatusOut.of(view)


@router.post(
    "/requests/{reference}/cancel",
    dependencies=[RateLimited],
    response_model=StatusOut,
    responses=PERSON_ERRORS | BODY_ERRORS,
)
def cancel_own(reference: str, body: TokenIn, db: DbSession, ctx: RequestsCtx) -> StatusOut:
    """Withdraw one's own request before it runs."""
    found = service.cancel_request(
        db, ctx=ctx, reference=reference, actor="person", status_token=body.token
    )
    return StatusOut(reference=found.reference, status=found.status.value)


@router.post(
    "/requests/{reference}/document",
    status_code=201,
    dependencies=[RateLimited],
    response_model=StatusOut,
    responses=PERSON_ERRORS | BODY_ERRORS,
)
def document(
    reference: str,
    db: DbSession,
    ctx: RequestsCtx,
    token: Annotated[str, Form(max_length=100)],
    file: Annotated[UploadFile, File()],
) -> StatusOut:
    """An ID document (PDF, JPEG or PNG, at most 5 MB; at most 3 per request by default),
    when the request asks for one."""
    # A plain `def`: the database work (which waits for the request's row lock) runs on a
    # worker thread, never on the event loop.
    data = file.file.read(MAX_DOCUMENT_BYTES + 1)
    upload = Upload(data, file.filename or "", file.content_type or "")
    service.attach_document(db, ctx=ctx, reference=reference, status_token=token, upload=upload)
    found = service.get_request(db, reference=reference)
    return StatusOut(reference=found.reference, status=found.status.value)


# --- staff -----------------------------------------------------------------------------------


@router.get(
    "/staff/requests", response_model=PageOut, responses=TOKEN_ERRORS | error_responses(422)
)
def queue(
    db: DbSession,
    ctx: RequestsCtx,
    token: Reader,
    status: Annotated[list[str] | None, Query(description="Filter by status (repeatable)")] = None,
    kinds: Annotated[
        list[str] | None, Query(alias="type", description="Filter by request type (repeatable)")
    ] = None,
    due: Annotated[str | None, Query(description="due, soon (within 7 days) or overdue")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> PageOut:
    """The requests, earliest answer date first."""
    page = views.list_requests(
        db, ctx=ctx, statuses=status, types=kinds, due=due, limit=limit, offset=offset
    )
    return PageOut(
        items=[SummaryOut.of(i) for i in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get(
    "/staff/requests/{reference}",
    response_model=DetailOut,
    responses=TOKEN_ERRORS | error_responses(404, 422),
)
def detail(reference: str, db: DbSession, ctx: RequestsCtx, token: Reader) -> DetailOut:
    """One request: who asked, its deadlines, its timeline, its result."""
    return DetailOut.of_detail(views.request_detail(db, ctx=ctx, reference=reference))


def _summary(db: DbSession, ctx: RequestsCtx, reference: str) -> SummaryOut:
    found = service.get_request(db, reference=reference)
    return SummaryOut.of(views.summarize(ctx, found, utcnow()))


EVENT_STREAM = {
    200: {
        "description": "Server-sent events, one `status` event per change of status: "
        '`data: {"reference", "status", "at", "closed"}`. The first tells the status now; '
        "the stream ends after the event whose `closed` is true (or after 10 minutes: open "
        "it again). A change made by this server's own jobs arrives at once; one made by a "
        "separate `lawful worker` within a second.",
        "content": {
            "text/event-stream": {
                # Each event, as parsed from the stream: its name and its JSON text.
                "schema": {
                    "type": "object",
                    "required": ["event", "data"],
                    "properties": {
                        "event": {"type": "string", "enum": ["status"]},
                        "data": {"type": "string", "contentMediaType": "application/json"},
                    },
                }
            }
        },
    }
}


@router.get(
    "/staff/requests/{reference}/events",
    response_class=StreamingResponse,
    responses=EVENT_STREAM | TOKEN_ERRORS | error_responses(404, 422),
)
def events(
    reference: str, db: DbSession, platform: PlatformDep, token: Reader
) -> StreamingResponse:
    """Follow one request without polling: its status now, then each change until it is
    closed (`text/event-stream`). Only the reference is in the address."""
    found = service.get_request(db, reference=reference)
    stream = live.status_stream(found.id, live.status_reader(platform.sessions, found.id))
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream, media_type="text/event-stream", headers=headers)


@router.post(
    "/staff/requests/{reference}/approve", response_model=SummaryOut, responses=STAFF_ERRORS
)
def approve(reference: str, db: DbSession, ctx: RequestsCtx, token: Writer) -> SummaryOut:
    """Approve: the request runs through the engine once the answer is sent."""
    service.approve_request(db, ctx=ctx, reference=reference, actor=token_actor(token))
    return _summary(db, ctx, reference)


@router.post(
    "/staff/requests/{reference}/deny",
    response_model=SummaryOut,
    responses=STAFF_ERRORS | BODY_ERRORS,
)
def deny(
    reference: str, body: DenyIn, db: DbSession, ctx: RequestsCtx, token: Writer
) -> SummaryOut:
    """Refuse, with a reason the law allows for this request; the person is told why."""
    service.deny_request(
        db,
        ctx=ctx,
        reference=reference,
        reason=body.reason,
        note=body.note,
        actor=token_actor(token),
    )
    return _summary(db, ctx, reference)


@router.post(
    "/staff/requests/{reference}/extend",
    response_model=SummaryOut,
    responses=STAFF_ERRORS | BODY_ERRORS,
)
def extend(
    reference: str, body: ExtendIn, db: DbSession, ctx: RequestsCtx, token: Writer
) -> SummaryOut:
    """Put the answer off, with reasons told to the person now (GDPR Art. 12(3))."""
    service.extend_request(
        db,
        ctx=ctx,
        reference=reference,
        amount=body.amount,
        reason=body.reason,
        actor=token_actor(token),
    )
    return _summary(db, ctx, reference)


@router.post(
    "/staff/requests/{reference}/cancel", response_model=SummaryOut, responses=STAFF_ERRORS
)
def cancel(reference: str, db: DbSession, ctx: RequestsCtx, token: Writer) -> SummaryOut:
    """Close a request before it runs (e.g. a duplicate)."""
    service.cancel_request(db, ctx=ctx, reference=reference, actor=token_actor(token))
    return _summary(db, ctx, reference)


@router.post(
    "/staff/requests/{reference}/confirm-identity",
    response_model=SummaryOut,
    responses=STAFF_ERRORS | BODY_ERRORS,
)
def confirm(
    reference: str, body: ConfirmIn, db: DbSession, ctx: RequestsCtx, token: Writer
) -> SummaryOut:
    """Confirm who the person is (an ID document seen, a call back)."""
    service.confirm_identity(
        db, ctx=ctx, reference=reference, how=body.how, actor=token_actor(token)
    )
    return _summary(db, ctx, reference)


@router.post(
    "/staff/requests/{reference}/complete",
    response_model=SummaryOut,
    responses=STAFF_ERRORS | BODY_ERRORS,
)
def complete(
    reference: str, body: CompleteIn, db: DbSession, ctx: RequestsCtx, token: Writer
) -> SummaryOut:
    """Close a request staff carried out themselves (an objection to one purpose, a complaint)."""
    service.complete_request(
        db,
        ctx=ctx,
        reference=reference,
        partial=body.partial,
        note=body.note,
        actor=token_actor(token),
    )
    return _summary(db, ctx, reference)


@router.post("/staff/requests/{reference}/retry", response_model=SummaryOut, responses=STAFF_ERRORS)
def retry(reference: str, db: DbSession, ctx: RequestsCtx, token: Writer) -> SummaryOut:
    """Run again a request whose execution stopped; the engine resumes where it stopped."""
    service.retry_execution(db, ctx=ctx, reference=reference, actor=token_actor(token))
    return _summary(db, ctx, reference)


@router.post(
    "/staff/requests/{reference}/forwards/{client}",
    response_model=SummaryOut,
    responses=STAFF_ERRORS | BODY_ERRORS,
)
def record_forward(
    reference: str, client: str, body: ForwardIn, db: DbSession, ctx: RequestsCtx, token: Writer
) -> SummaryOut:
    """Record a forward to a client that staff sent themselves: what, when, by which channel.
    The request closes once no forward is open; recorded once (409 after)."""
    forwards.record_forward(
        db,
        ctx=ctx,
        reference=reference,
        client=client,
        channel=body.channel,
        note=body.sent,
        sent_at=body.sent_at,
        actor=token_actor(token),
    )
    return _summary(db, ctx, reference)
