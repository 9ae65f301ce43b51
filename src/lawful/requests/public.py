"""The privacy center: a person picks a request, says who they are and where they live, gets
a reference, confirms the code mailed to them and follows the request. Plain HTML forms
only: everything works without JavaScript."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from lawful.datamap.facts import controlled_by_us
from lawful.datamap.models import Jurisdiction
from lawful.http.deps import DbSession, PublicForm, RateLimited
from lawful.http.templating import render
from lawful.law.requests import REQUEST_TYPES, RequestType
from lawful.requests import views
from lawful.requests.context import RequestsContext
from lawful.requests.deps import RequestsCtx
from lawful.requests.errors import RequestError
from lawful.requests.intake import Intake, intake_problems
from lawful.requests.models import VerificationLevel
from lawful.requests.places import OTHER, country_choices
from lawful.requests.service import (
    cancel_request,
    request_for_person,
    resend_code,
    submit_request,
    verify_request,
)
from lawful.requests.states import RequestStatus
from lawful.requests.verification import MAX_DOCUMENT_BYTES, Upload
from lawful.requests.views import PersonStatus

router = APIRouter(include_in_schema=False)
PERSON = "person"
_STATES = {
    Jurisdiction.fr: "France",
    Jurisdiction.es: "Spain",
    Jurisdiction.it: "Italy",
    Jurisdiction.gr: "Greece",
    Jurisdiction.de: "Germany",
}
STATUS_WORDS = {
    RequestStatus.received: "Received",
    RequestStatus.verifying: "Waiting for your code",
    RequestStatus.verified: "Identity confirmed",
    RequestStatus.approved: "Approved: we are carrying it out",
    RequestStatus.running: "In progress",
    RequestStatus.completed: "Done",
    RequestStatus.partially_completed: "Done in part",
    RequestStatus.forwarded: "Passed on to the company that controls your data",
    RequestStatus.denied: "Refused",
    RequestStatus.cancelled: "Cancelled",
    RequestStatus.expired: "Closed: not confirmed in time",
}
# What happens next, after each step, in the person's words.
NEXT_STEPS = {
    RequestStatus.received: "We are registering your request; we send you a code by email.",
    RequestStatus.verifying: "Enter the code we sent to your email address: we can start "
    "only once we know the request is yours.",
    RequestStatus.verified: "Our privacy team now looks at your request. We email you when it "
    "is done, or if we need anything, at the latest by the date above.",
    RequestStatus.approved: "We are carrying out your request. We email you when it is done.",
    RequestStatus.running: "We are searching our systems for your data. We email you when it "
    "is done.",
    RequestStatus.completed: "Your request is done: we emailed you our answer.",
    RequestStatus.partially_completed: "We did what we could and emailed you our answer, "
    "with what could not be done and why.",
    RequestStatus.forwarded: "The company that controls your data answers you; we emailed you "
    "who they are.",
    RequestStatus.denied: "We emailed you our answer, why we refused, and where you can complain.",
    RequestStatus.cancelled: "Nothing more happens. You can make a new request at any time.",
    RequestStatus.expired: "Nothing more happens. If you still wish, make a new request.",
}
Text = Annotated[str, Form(max_length=400)]
# The services name some fields as the JSON API does; the forms name them so.
_FORM_FIELDS = {"type": "request_type", "corrections": "message"}


# What the form says where the service's words are written for the API's callers.
_PLAIN = {
    "request_type": "Choose what you would like to do.",
    "email": "Check your email address: it should look like name@example.org.",
    "country": "Choose the country where you live (or, if it is not listed, write its "
    "two-letter code, e.g. JP).",
}
_MISSING = {
    "request_type": "Choose what you would like to do.",
    "email": "Enter your email address: we send your code and our answer there.",
    "country": "Choose the country where you live.",
}


def plain_problems(problems: dict[str, str], values: dict[str, str]) -> dict[str, str]:
    """The intake's problems keyed by form field, in the words of the form."""
    found: dict[str, str] = {}
    for field, message in problems.items():
        name = _FORM_FIELDS.get(field, field)
        empty = not values.get(name, "").strip()
        found[name] = (_MISSING if empty else _PLAIN).get(name, message)
    return found


def form_errors(error: RequestError) -> dict[str, str]:
    """A refused request's message, keyed by the form field it is about."""
    field = _FORM_FIELDS.get(error.field or "", error.field) or "form"
    return {field: error.message}


@dataclass(frozen=True)
class TypeChoice:
    value: str
    title: str
    description: str
    where: str


def type_choices() -> list[TypeChoice]:
    """Every request type, with where the law gives it (DESIGN.md §3.1)."""
    return [
        TypeChoice(t.value, REQUEST_TYPES[t].title, REQUEST_TYPES[t].description, _where(t))
        for t in RequestType
    ]


def _where(request_type: RequestType) -> str:
    laws = REQUEST_TYPES[request_type].rights
    if Jurisdiction.gdpr in laws:
        places = ["Europe and the UK (GDPR)"]
    else:  # a right only some member states give (post-mortem directions)
        places = [name for law, name in _STATES.items() if law in laws]
    if Jurisdiction.ccpa in laws:
        places.append("California (CCPA)")
    return ", ".join(places)


def _form_context(
    ctx: RequestsContext, values: dict[str, str], errors: dict[str, str]
) -> dict[str, Any]:
    purposes = {pid: p.name for pid, p in controlled_by_us(ctx.datamap).items()}
    levels = set(ctx.policy.verification_levels.values())
    return {
        "types": type_choices(),
        "countries": country_choices(),
        "other": OTHER,
        "purposes": purposes,
        "ask_document": VerificationLevel.id_document.value in levels,
        "max_document_mb": MAX_DOCUMENT_BYTES // (1024 * 1024),
        "values": values,
        "errors": errors,
    }


@router.get("/privacy", response_class=HTMLResponse)
def request_form(request: Request, ctx: RequestsCtx, type: str = "") -> HTMLResponse:
    context = _form_context(ctx, {"request_type": type[:40]}, {})
    return render(request, "privacy/form.html.j2", context)


@router.post("/privacy/requests", dependencies=[RateLimited, PublicForm])
def submit(
    request: Request,
    db: DbSession,
    ctx: RequestsCtx,
    request_type: Annotated[str, Form(max_length=40)] = "",
    email: Annotated[str, Form(max_length=320)] = "",
    name: Text = "",
    phone: Annotated[str, Form(max_length=40)] = "",
    country: Annotated[str, Form(max_length=8)] = "",
    country_other: Annotated[str, Form(max_length=8)] = "",
    region: Annotated[str, Form(max_length=8)] = "",
    address: Annotated[str, Form(max_length=600)] = "",
    message: Annotated[str, Form(max_length=6000)] = "",
    purpose: Annotated[str, Form(max_length=100)] = "",
    document: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Store the request and show its reference; a bad field re-shows the form with why."""
    values = {
        "request_type": request_type, "email": email, "name": name, "phone": phone,
        "country": country, "country_other": country_other, "region": region,
        "address": address, "message": message, "purpose": purpose,
    }  # fmt: skip
    residence = country_other if country == OTHER else country
    intake = Intake(
        request_type=request_type, email=email, country=residence, region=region or None,
        phone=phone or None, name=name or None, address=address or None,
        message=message or None, purpose=purpose or None, channel="web",
        document=read_upload(document),
    )  # fmt: skip
    problems = plain_problems(intake_problems(intake, datamap=ctx.datamap), values)
    if problems:  # every wrong field at once, each next to its field
        context = _form_context(ctx, values, problems)
        return render(request, "privacy/form.html.j2", context, status_code=422)
    try:
        submitted = submit_request(db, ctx=ctx, intake=intake, actor=PERSON)
    except RequestError as error:
        db.rollback()  # nothing of a refused request is kept
        context = _form_context(ctx, values, form_errors(error))
        return render(request, "privacy/form.html.j2", context, status_code=error.http_status)
    url = status_url(submitted.request.reference, submitted.status_token)
    return RedirectResponse(url + "&new=1", status_code=303)


def read_upload(file: UploadFile | None) -> Upload | None:
    """The uploaded file, read up to one byte past the limit (so the size check can refuse
    it without reading a huge file into memory); None when no file was chosen."""
    if file is None or not file.filename:
        return None
    data = file.file.read(MAX_DOCUMENT_BYTES + 1)
    return Upload(data=data, filename=file.filename, declared_type=file.content_type or "")


def status_url(reference: str, token: str) -> str:
    return f"/privacy/requests/{reference}?token={token}"


# --- the person's view of their request -----------------------------------------------------------


def status_context(status: PersonStatus, token: str, zone: str) -> dict[str, Any]:
    return {
        "found": status,
        "token": token,
        "zone": zone,
        "status_words": STATUS_WORDS[status.status],
        "next_step": NEXT_STEPS[status.status],
        "verified": False,
        "can_cancel": status.status in _CANCELLABLE,
        "waiting_for_code": status.status is RequestStatus.verifying,
        "error": None,
        "new": False,
        "sent": False,
    }


def _status_page(
    request: Request, db: Session, ctx: RequestsContext, reference: str, token: str, **extra: Any
) -> HTMLResponse:
    status_code = extra.pop("error_status", 200)
    found = views.person_status(db, ctx=ctx, reference=reference, status_token=token)
    context = status_context(found, token, str(ctx.shown_zone())) | extra
    return render(request, "privacy/status.html.j2", context, status_code=status_code)


_CANCELLABLE = frozenset(
    {
        RequestStatus.received,
        RequestStatus.verifying,
        RequestStatus.verified,
        RequestStatus.approved,
    }
)
Token = Annotated[str, Query(min_length=8, max_length=100)]
FormToken = Annotated[str, Form(min_length=8, max_length=100)]


@router.get(
    "/privacy/requests/{reference}", response_class=HTMLResponse, dependencies=[RateLimited]
)
def request_status(
    request: Request,
    db: DbSession,
    ctx: RequestsCtx,
    reference: str,
    token: Token,
    new: bool = False,
    sent: bool = False,
    verified: bool = False,
) -> HTMLResponse:
    return _status_page(request, db, ctx, reference, token, new=new, sent=sent, verified=verified)


@router.post("/privacy/requests/{reference}/verify", dependencies=[RateLimited, PublicForm])
def verify(
    request: Request,
    db: DbSession,
    ctx: RequestsCtx,
    reference: str,
    token: FormToken,
    code: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Check the code. A wrong try is stored (five lock the request), then shown."""
    found = request_for_person(db, ctx=ctx, reference=reference, status_token=token)
    found, outcome = verify_request(db, ctx=ctx, reference=found.reference, code=code.strip())
    if outcome.error is not None:
        return _status_page(
            request, db, ctx, found.reference, token,
            error=outcome.error.message, error_status=outcome.error.http_status,
        )  # fmt: skip
    return RedirectResponse(status_url(found.reference, token) + "&verified=1", status_code=303)


@router.post("/privacy/requests/{reference}/resend", dependencies=[RateLimited, PublicForm])
def resend(db: DbSession, ctx: RequestsCtx, reference: str, token: FormToken) -> Response:
    found = request_for_person(db, ctx=ctx, reference=reference, status_token=token)
    resend_code(db, ctx=ctx, reference=found.reference)
    return RedirectResponse(status_url(found.reference, token) + "&sent=1", status_code=303)


@router.post("/privacy/requests/{reference}/cancel", dependencies=[RateLimited, PublicForm])
def cancel(db: DbSession, ctx: RequestsCtx, reference: str, token: FormToken) -> Response:
    found = cancel_request(db, ctx=ctx, reference=reference, actor=PERSON, status_token=token)
    return RedirectResponse(status_url(found.reference, token), status_code=303)
