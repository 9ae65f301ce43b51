"""The request queue and a request's page: deadlines, timeline, results, and the decisions
(approve, deny, extend, cancel, confirm identity, close). Auditors see everything and change
nothing: the forms are not shown to them, and refused (403) if sent anyway."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from lawful.auth.models import StaffUser
from lawful.auth.names import actor_names
from lawful.auth.roles import REQUEST_DECIDERS, REQUEST_HANDLERS
from lawful.datamap.models import Jurisdiction
from lawful.http.deps import (
    CurrentStaff,
    DbSession,
    PersonData,
    RequestDecider,
    RequestHandler,
    StaffForm,
    staff_actor,
)
from lawful.http.templating import render
from lawful.law.denials import DENIAL_GROUNDS, DenialReason
from lawful.law.requests import REQUEST_TYPES, RequestType
from lawful.requests import desk, forwards, views
from lawful.requests.context import RequestsContext
from lawful.requests.deps import RequestsCtx
from lawful.requests.errors import RequestError
from lawful.requests.models import RightsRequest
from lawful.requests.objection import objectable_purposes
from lawful.requests.sentences import read_request
from lawful.requests.service import (
    approve_request,
    cancel_request,
    complete_request,
    confirm_identity,
    deny_request,
    extend_request,
    get_request,
    read_document,
    retry_execution,
)
from lawful.requests.states import OPEN, RequestStatus
from lawful.store.task_views import failing_tasks

router = APIRouter(include_in_schema=False, dependencies=[PersonData])  # Art. 32(4)
S = RequestStatus
_DENIABLE = frozenset({S.received, S.verifying, S.verified})
_CANCELLABLE = frozenset({S.received, S.verifying, S.verified, S.approved})


# --- one request -------------------------------------------------------------------------------------


def detail_context(
    db: Session, ctx: RequestsContext, staff: StaffUser, reference: str
) -> dict[str, Any]:
    detail = views.request_detail(db, ctx=ctx, reference=reference)
    summary = detail.summary
    jurisdiction = Jurisdiction(summary.jurisdiction) if summary.jurisdiction else None
    handler, decider = staff.role in REQUEST_HANDLERS, staff.role in REQUEST_DECIDERS
    found = get_request(db, reference=reference)
    request_id = found.id
    done = forwards.done_forwards(db, request=found)
    return {
        "active": "requests",
        "d": detail,
        "s": summary,
        "reading": read_request(found, ctx.datamap),
        "actor_names": actor_names(
            db,
            [
                *(event.actor for event in found.events),
                *(f.recorded_by for f in done if f.recorded_by),
            ],
        ),
        "request_id": request_id,  # for its audit-trail entries
        "tasks": failing_tasks(db, request_id=request_id, reference=reference),
        "can_retry_tasks": handler,
        "zone": str(ctx.shown_zone()),
        "type_title": REQUEST_TYPES[summary.request_type].title,
        "documents": detail.documents if handler else [],
        "jurisdiction": jurisdiction,
        "reasons": [DENIAL_GROUNDS[DenialReason(r)] for r in detail.denial_reasons],
        "extensions": _extension_choices(jurisdiction),
        "can": _allowed_actions(summary.status, handler=handler, decider=decider),
        "open_forwards": forwards.open_forwards(db, request=found),
        "notes": desk.read_notes(db, ctx=ctx, request=found),
        "assignee": desk.staff_names(db).get(found.assignee_id or ""),
        "assignee_id": found.assignee_id or "",
        "team": desk.assignable(db) if handler else [],
        "done_forwards": done,
        "objectable": objectable_purposes(ctx)
        if summary.request_type is RequestType.objection
        else [],
        "error": None,
    }


def _extension_choices(jurisdiction: Jurisdiction | None) -> list[tuple[int, str]]:
    if jurisdiction is Jurisdiction.ccpa:
        return [(45, "45 days")]  # 11 CCR §7021(b)
    return [(1, "1 month"), (2, "2 months")]  # GDPR Art. 12(3)


def _allowed_actions(status: RequestStatus, *, handler: bool, decider: bool) -> dict[str, bool]:
    """Which forms to show: the role allows it and the request's state does."""
    return {
        "confirm": handler and status in (S.received, S.verifying),
        "approve": handler and status is S.verified,
        "extend": handler and status in OPEN,
        "complete": handler and status is S.running,
        "retry": handler and status is S.running,
        "deny": decider and status in _DENIABLE,
        "cancel": decider and status in _CANCELLABLE,
        "record_forward": decider and status is S.running,
    }


@router.get("/admin/requests/{reference}", response_class=HTMLResponse)
def request_detail(
    request: Request, db: DbSession, ctx: RequestsCtx, staff: CurrentStaff, reference: str
) -> HTMLResponse:
    return render(request, "admin/request.html.j2", detail_context(db, ctx, staff, reference))


@router.get("/admin/requests/{reference}/documents/{document_id}")
def view_document(
    db: DbSession, ctx: RequestsCtx, staff: RequestHandler, reference: str, document_id: str
) -> Response:
    """An ID document, for staff checking identity; each opening is audited."""
    content_type, data = read_document(
        db, ctx=ctx, reference=reference, document_id=document_id, actor=staff_actor(staff)
    )
    headers = {"Content-Disposition": f'attachment; filename="id-document-{document_id[:8]}"'}
    return Response(data, media_type=content_type, headers=headers)


# --- decisions ---------------------------------------------------------------------------------------

Act = Callable[..., RightsRequest]  # called with actor=


def _act(
    request: Request, db: Session, ctx: RequestsContext, staff: StaffUser, reference: str, act: Act
) -> Response:
    """Run one decision; on a refusal (wrong state, bad reason) show why on the request."""
    try:
        act(actor=staff_actor(staff))
    except RequestError as error:
        db.rollback()
        context = detail_context(db, ctx, staff, reference) | {"error": error.message}
        return render(request, "admin/request.html.j2", context, status_code=error.http_status)
    return RedirectResponse(f"/admin/requests/{reference}", status_code=303)


@router.post("/admin/requests/{reference}/approve", dependencies=[StaffForm])
def approve(
    request: Request, db: DbSession, ctx: RequestsCtx, staff: RequestHandler, reference: str
) -> Response:
    return _act(
        request,
        db,
        ctx,
        staff,
        reference,
        partial(approve_request, db, ctx=ctx, reference=reference),
    )


@router.post("/admin/requests/{reference}/confirm-identity", dependencies=[StaffForm])
def confirm(
    request: Request,
    db: DbSession,
    ctx: RequestsCtx,
    staff: RequestHandler,
    reference: str,
    how: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    return _act(
        request,
        db,
        ctx,
        staff,
        reference,
        partial(confirm_identity, db, ctx=ctx, reference=reference, how=how),
    )


@router.post("/admin/requests/{reference}/deny", dependencies=[StaffForm])
def deny(
    request: Request,
    db: DbSession,
    ctx: RequestsCtx,
    staff: RequestDecider,
    reference: str,
    reason: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    return _act(
        request,
        db,
        ctx,
        staff,
        reference,
        partial(deny_request, db, ctx=ctx, reference=reference, reason=reason, note=note),
    )


@router.post("/admin/requests/{reference}/extend", dependencies=[StaffForm])
def extend(
    request: Request,
    db: DbSession,
    ctx: RequestsCtx,
    staff: RequestHandler,
    reference: str,
    amount: Annotated[int, Form(ge=1, le=90)] = 1,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    return _act(
        request,
        db,
        ctx,
        staff,
        reference,
        partial(extend_request, db, ctx=ctx, reference=reference, amount=amount, reason=reason),
    )


@router.post("/admin/requests/{reference}/cancel", dependencies=[StaffForm])
def cancel(
    request: Request, db: DbSession, ctx: RequestsCtx, staff: RequestDecider, reference: str
) -> Response:
    return _act(
        request,
        db,
        ctx,
        staff,
        reference,
        partial(cancel_request, db, ctx=ctx, reference=reference),
    )


@router.post("/admin/requests/{reference}/complete", dependencies=[StaffForm])
def complete(
    request: Request,
    db: DbSession,
    ctx: RequestsCtx,
    staff: RequestHandler,
    reference: str,
    partly: Annotated[bool, Form(alias="partial")] = False,
    note: Annotated[str, Form(max_length=2000)] = "",
    objected: Annotated[list[str] | None, Form(max_length=50)] = None,
) -> Response:
    close = partial(complete_request, db, ctx=ctx, reference=reference, partial=partly,
                    note=note, objected=objected or [])  # fmt: skip
    return _act(request, db, ctx, staff, reference, close)


@router.post("/admin/requests/{reference}/retry", dependencies=[StaffForm])
def retry(
    request: Request, db: DbSession, ctx: RequestsCtx, staff: RequestHandler, reference: str
) -> Response:
    return _act(
        request,
        db,
        ctx,
        staff,
        reference,
        partial(retry_execution, db, ctx=ctx, reference=reference),
    )


@router.post("/admin/requests/{reference}/forwards/{client}", dependencies=[StaffForm])
def record_forward(
    request: Request,
    db: DbSession,
    ctx: RequestsCtx,
    staff: RequestDecider,
    reference: str,
    client: str,
    channel: Annotated[str, Form(min_length=1, max_length=40)],
    sent: Annotated[str, Form(min_length=1, max_length=2000)],
    sent_at: Annotated[str, Form(max_length=40)],
) -> Response:
    """Staff sent the request on to a client themselves: what, when, how (audited)."""
    return _act(
        request,
        db,
        ctx,
        staff,
        reference,
        lambda actor: forwards.record_forward(
            db,
            ctx=ctx,
            reference=reference,
            client=client,
            channel=channel,
            note=sent,
            sent_at=forwards.staff_time(sent_at, zone=ctx.shown_zone()),
            actor=actor,
        ),
    )
