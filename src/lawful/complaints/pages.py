"""Admin pages for the complaints register: every complaint and inquiry on its deadline
(overdue ones marked), a form to enter one, and one complaint with its notes, linked requests
and the forms to add a note, link requests and record the outcome. Every staff role reads
them; those who handle requests write (each change audited by the services)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lawful.auth.names import actor_names
from lawful.complaints.authorities import AUTHORITIES
from lawful.complaints.errors import ComplaintError, InvalidComplaintError
from lawful.complaints.models import ComplaintStatus, Source
from lawful.complaints.service import (
    NewComplaint,
    add_note,
    decide,
    get_complaint,
    is_overdue,
    link_requests,
    list_complaints,
    open_complainant,
    open_notes,
    receive_complaint,
)
from lawful.http.deps import (
    CurrentStaff,
    DbSession,
    KeyringDep,
    RequestHandler,
    StaffForm,
    staff_actor,
)
from lawful.http.templating import render
from lawful.store.models import utcnow

router = APIRouter(include_in_schema=False)


@router.get("/admin/complaints", response_class=HTMLResponse)
def register(request: Request, db: DbSession, staff: CurrentStaff) -> HTMLResponse:
    today = utcnow().date()
    rows = [(c, is_overdue(c, today=today)) for c in list_complaints(db)]
    context = {"active": "complaints", "rows": rows, "authorities": AUTHORITIES}
    return render(request, "complaints/register.html.j2", context)


def _form_context(values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    return {"active": "complaints", "values": values, "errors": errors,
            "authorities": AUTHORITIES, "sources": list(Source),
            "today": utcnow().date().isoformat()}  # fmt: skip


@router.get("/admin/complaints/new", response_class=HTMLResponse)
def entry_form(request: Request, staff: RequestHandler) -> HTMLResponse:
    return render(request, "complaints/new.html.j2", _form_context({"source": "authority"}, {}))


@router.post("/admin/complaints/new", dependencies=[StaffForm])
def enter_complaint(
    request: Request,
    db: DbSession,
    keyring: KeyringDep,
    staff: RequestHandler,
    subject: Annotated[str, Form(max_length=400)] = "",
    source: Annotated[str, Form(max_length=20)] = "",
    authority: Annotated[str, Form(max_length=20)] = "",
    authority_reference: Annotated[str, Form(max_length=100)] = "",
    received_on: Annotated[str, Form(max_length=10)] = "",
    deadline: Annotated[str, Form(max_length=10)] = "",
    complainant: Annotated[str, Form(max_length=600)] = "",
    linked_requests: Annotated[str, Form(max_length=600)] = "",
) -> Response:
    values = dict(subject=subject, source=source, authority=authority,
                  authority_reference=authority_reference, received_on=received_on,
                  deadline=deadline, complainant=complainant, linked_requests=linked_requests)  # fmt: skip
    try:
        new = NewComplaint(
            subject=subject, source=source, authority=authority or None,
            authority_reference=authority_reference or None,
            received_at=_day(received_on, "received_on", noon=True),
            deadline=d.date() if (d := _day(deadline, "deadline")) else None,
            complainant=complainant or None, linked_requests=_references(linked_requests),
        )  # fmt: skip
        complaint = receive_complaint(db, keyring=keyring, new=new, actor=staff_actor(staff))
    except ComplaintError as error:
        db.rollback()
        context = _form_context(values, {error.field or "form": error.message})
        return render(request, "complaints/new.html.j2", context, status_code=error.http_status)
    return RedirectResponse(f"/admin/complaints/{complaint.reference}", status_code=303)


def _day(text: str, field: str, *, noon: bool = False) -> datetime | None:
    if not text.strip():
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidComplaintError("Give the day as YYYY-MM-DD.", field=field) from None
    if noon and day == utcnow().date():
        return utcnow()
    return datetime.combine(day, time(12), tzinfo=UTC)


def _references(text: str) -> list[str]:
    return [r for r in text.replace(",", " ").split() if r]


@router.get("/admin/complaints/{reference}", response_class=HTMLResponse)
def complaint_page(
    request: Request, db: DbSession, keyring: KeyringDep, staff: CurrentStaff, reference: str
) -> HTMLResponse:
    return _detail(request, db, keyring, reference, {}, 200)


def _detail(
    request: Request,
    db: DbSession,
    keyring: KeyringDep,
    reference: str,
    errors: dict[str, str],
    status: int,
) -> HTMLResponse:
    complaint = get_complaint(db, reference=reference)
    notes = open_notes(keyring, complaint)
    context: dict[str, Any] = {
        "active": "complaints",
        "complaint": complaint,
        "overdue": is_overdue(complaint, today=utcnow().date()),
        "authority": AUTHORITIES.get(complaint.authority or ""),
        "complainant": open_complainant(keyring, complaint),
        "notes": notes,
        "actor_names": actor_names(db, [complaint.created_by, *(n.actor for n, _ in notes)]),
        "statuses": list(ComplaintStatus),
        "errors": errors,
    }
    return render(request, "complaints/complaint.html.j2", context, status_code=status)


@router.post("/admin/complaints/{reference}/notes", dependencies=[StaffForm])
def post_note(
    request: Request,
    db: DbSession,
    keyring: KeyringDep,
    staff: RequestHandler,
    reference: str,
    note: Annotated[str, Form(max_length=6000)] = "",
) -> Response:
    return _act(request, db, keyring, reference, lambda: add_note(
        db, keyring=keyring, reference=reference, text=note, actor=staff_actor(staff)))  # fmt: skip


@router.post("/admin/complaints/{reference}/links", dependencies=[StaffForm])
def post_links(
    request: Request,
    db: DbSession,
    keyring: KeyringDep,
    staff: RequestHandler,
    reference: str,
    linked_requests: Annotated[str, Form(max_length=600)] = "",
) -> Response:
    return _act(request, db, keyring, reference, lambda: link_requests(
        db, reference=reference, requests=_references(linked_requests), actor=staff_actor(staff)))  # fmt: skip


@router.post("/admin/complaints/{reference}/decision", dependencies=[StaffForm])
def post_decision(
    request: Request,
    db: DbSession,
    keyring: KeyringDep,
    staff: RequestHandler,
    reference: str,
    status: Annotated[str, Form(max_length=20)] = "",
    outcome: Annotated[str, Form(max_length=6000)] = "",
) -> Response:
    return _act(request, db, keyring, reference, lambda: decide(
        db, reference=reference, status=status, outcome=outcome, actor=staff_actor(staff)))  # fmt: skip


def _act(
    request: Request, db: DbSession, keyring: KeyringDep, reference: str, action: Any
) -> Response:
    complaint = get_complaint(db, reference=reference)
    try:
        action()
    except ComplaintError as error:
        db.rollback()
        return _detail(request, db, keyring, reference, {error.field or "form": error.message},
                       error.http_status)  # fmt: skip
    return RedirectResponse(f"/admin/complaints/{complaint.reference}", status_code=303)
