"""The queue staff work from: search and filters, assignees, notes, decisions on many
requests at once, and the queue as a CSV file. Every change and every export is audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from lawful.auth.models import StaffUser
from lawful.auth.roles import REQUEST_HANDLERS
from lawful.datamap.models import Jurisdiction
from lawful.http.csvfile import csv_text, download
from lawful.http.deps import (
    CurrentStaff,
    DbSession,
    PersonData,
    RequestHandler,
    StaffForm,
    staff_actor,
)
from lawful.http.templating import render
from lawful.law.requests import REQUEST_TYPES, RequestType
from lawful.requests import bulk, desk
from lawful.requests.context import RequestsContext
from lawful.requests.deps import RequestsCtx
from lawful.requests.errors import InvalidInputError, RequestError
from lawful.requests.pages import detail_context
from lawful.requests.queue import SORT_TITLES, QueueQuery, filter_for, queue_page
from lawful.requests.states import RequestStatus
from lawful.store.audit import record_event
from lawful.store.models import utcnow

router = APIRouter(include_in_schema=False, dependencies=[PersonData])  # Art. 32(4)
PAGE_SIZE = 25
EXPORT_MAX = 10_000
DUE_FILTERS = {"soon": "Due within 7 days", "overdue": "Overdue", "due": "Not yet due"}

Text = Annotated[str, Query(max_length=40)]


def _query(
    q: Annotated[str, Query(max_length=20_000)] = "",
    status: Text = "",
    type: Text = "",
    jurisdiction: Text = "",
    due: Text = "",
    assignee: Text = "",
    sort: Text = "due",
) -> QueueQuery:
    return QueueQuery(q, status, type, jurisdiction, due, assignee, sort or "due")


def _base_context(
    db: Session, ctx: RequestsContext, staff: StaffUser, query: QueueQuery
) -> dict[str, Any]:
    return {
        "active": "requests", "filters": query,
        "statuses": list(RequestStatus), "types": list(RequestType), "due_filters": DUE_FILTERS,
        "type_titles": {t: REQUEST_TYPES[t].title for t in RequestType},
        "laws": [j.value for j in Jurisdiction], "sorts": SORT_TITLES,
        "team": desk.assignable(db), "me": staff.id,
        "can_bulk": staff.role in REQUEST_HANDLERS,
        "rows": [], "total": 0, "page": 1, "pages": 1, "error": None, "outcomes": None,
    }  # fmt: skip


def _page(
    request: Request,
    db: Session,
    ctx: RequestsContext,
    staff: StaffUser,
    query: QueueQuery,
    page: int,
    **extra: Any,
) -> HTMLResponse:
    context = _base_context(db, ctx, staff, query) | extra
    now = utcnow()
    try:
        wanted = filter_for(db, ctx=ctx, query=query, me=staff.id, now=now)
    except InvalidInputError as error:
        context["error"] = error.message
        return render(request, "admin/queue.html.j2", context, status_code=422)
    found = queue_page(db, ctx=ctx, wanted=wanted, limit=PAGE_SIZE,
                       offset=(page - 1) * PAGE_SIZE, now=now)  # fmt: skip
    context |= {"rows": found.rows, "total": found.total, "page": page,
                "pages": max(1, -(-found.total // PAGE_SIZE))}  # fmt: skip
    return render(request, "admin/queue.html.j2", context)


@router.get("/admin/requests", response_class=HTMLResponse)
def queue(
    request: Request,
    db: DbSession,
    ctx: RequestsCtx,
    staff: CurrentStaff,
    q: Annotated[str, Query(max_length=20_000)] = "",
    status: Text = "",
    type: Text = "",
    jurisdiction: Text = "",
    due: Text = "",
    assignee: Text = "",
    sort: Text = "due",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """Earliest answer date first; search by reference, email or name; filter and sort."""
    query = _query(q, status, type, jurisdiction, due, assignee, sort)
    return _page(request, db, ctx, staff, query, page)


@router.get("/admin/requests/export.csv")
def export_queue(
    request: Request,
    db: DbSession,
    ctx: RequestsCtx,
    staff: CurrentStaff,
    q: Annotated[str, Query(max_length=20_000)] = "",
    status: Text = "",
    type: Text = "",
    jurisdiction: Text = "",
    due: Text = "",
    assignee: Text = "",
    sort: Text = "due",
) -> Response:
    """The queue as filtered, as a CSV file: what the page shows (the email masked)."""
    query = _query(q, status, type, jurisdiction, due, assignee, sort)
    now = utcnow()
    try:
        wanted = filter_for(db, ctx=ctx, query=query, me=staff.id, now=now)
    except InvalidInputError as error:
        context = _base_context(db, ctx, staff, query) | {"error": error.message}
        return render(request, "admin/queue.html.j2", context, status_code=422)
    found = queue_page(db, ctx=ctx, wanted=wanted, limit=EXPORT_MAX, offset=0, now=now)
    zone = ctx.shown_zone()
    rows = [
        (r.summary.reference, REQUEST_TYPES[r.summary.request_type].title,
         r.summary.status.value, r.summary.jurisdiction or "none", r.email,
         r.summary.received_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
         r.summary.respond_by.isoformat(),
         r.summary.deadline.value if r.summary.deadline else "closed",
         "yes" if r.summary.extended else "no", r.assignee or "", r.summary.agent or "")
        for r in found.rows
    ]  # fmt: skip
    header = ("reference", "type", "status", "law", "email (masked)", f"received ({zone})",
              "answer by", "deadline", "extended", "assignee", "agent")  # fmt: skip
    filters = {k: v for k, v in vars(query).items() if v and k != "q"}
    record_event(db, actor=staff_actor(staff), action="requests.exported",
                 subject_type="request_queue", subject_id="queue",
                 details={"rows": len(rows), "filters": filters, "searched": bool(q.strip())})  # fmt: skip
    stamp = now.astimezone(zone).strftime("%Y%m%d-%H%M")
    return download(csv_text(header, rows), file_name=f"requests-{stamp}.csv")


@router.post("/admin/requests/bulk", response_class=HTMLResponse, dependencies=[StaffForm])
def bulk_decide(
    request: Request,
    db: DbSession,
    ctx: RequestsCtx,
    staff: RequestHandler,
    action: Annotated[str, Form(max_length=20)] = "",
    selected: Annotated[list[str] | None, Form()] = None,
    months: Annotated[int, Form(ge=1, le=2)] = 1,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> HTMLResponse:
    """Approve or extend the requests ticked in the queue, each checked on its own."""
    references = [r[:16] for r in (selected or [])]
    problem = None
    if action not in bulk.ACTIONS:
        problem = "Choose what to do with the selected requests: approve or extend."
    elif not references:
        problem = "Tick at least one request in the list first."
    elif len(references) > bulk.BULK_MAX:
        problem = f"{len(references)} requests are ticked; decide at most {bulk.BULK_MAX} at once."
    if problem:
        return _page(request, db, ctx, staff, QueueQuery(), 1, error=problem)
    outcomes = bulk.bulk_decide(db, ctx=ctx, action=action, references=references,
                                actor=staff_actor(staff), months=months, reason=reason)  # fmt: skip
    return _page(request, db, ctx, staff, QueueQuery(), 1, outcomes=outcomes, bulk_action=action)


@router.post("/admin/requests/{reference}/assign", dependencies=[StaffForm])
def assign(
    request: Request,
    db: DbSession,
    ctx: RequestsCtx,
    staff: RequestHandler,
    reference: str,
    assignee: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Give the request to a staff member (by the name shown), or to no one."""
    wanted = staff.id if assignee == "me" else assignee
    return _act(request, db, ctx, staff, reference, lambda actor: desk.assign_request(
        db, ctx=ctx, reference=reference, staff_id=wanted, actor=actor))  # fmt: skip


@router.post("/admin/requests/{reference}/notes", dependencies=[StaffForm])
def add_note(
    request: Request,
    db: DbSession,
    ctx: RequestsCtx,
    staff: RequestHandler,
    reference: str,
    note: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    """A note for staff only: sealed, shown on the request with its author and time."""
    return _act(request, db, ctx, staff, reference, lambda actor: desk.add_note(
        db, ctx=ctx, reference=reference, text=note, actor=actor))  # fmt: skip


def _act(
    request: Request, db: Session, ctx: RequestsContext, staff: StaffUser, reference: str, act: Any
) -> Response:
    try:
        act(staff_actor(staff))
    except RequestError as error:
        db.rollback()
        context = detail_context(db, ctx, staff, reference) | {"error": error.message}
        return render(request, "admin/request.html.j2", context, status_code=error.http_status)
    return RedirectResponse(f"/admin/requests/{reference}#desk", status_code=303)
