"""Staff entry of a request received by mail, phone or post: the same checks and deadlines as
one made online, counted from the day it was received."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lawful.http.deps import (
    DbSession,
    RequestHandler,
    StaffForm,
    staff_actor,
)
from lawful.http.templating import render
from lawful.requests.context import RequestsContext
from lawful.requests.deps import RequestsCtx
from lawful.requests.errors import InvalidInputError, RequestError
from lawful.requests.intake import Intake
from lawful.requests.places import OTHER, country_choices
from lawful.requests.public import form_errors, type_choices
from lawful.requests.service import submit_request
from lawful.store.models import utcnow

router = APIRouter(include_in_schema=False)
CHANNELS = {"email": "Email", "phone": "Phone call", "post": "Letter (post)"}


def _context(
    ctx: RequestsContext, values: dict[str, str], errors: dict[str, str]
) -> dict[str, Any]:
    return {
        "active": "new",
        "types": type_choices(),
        "countries": country_choices(),
        "other": OTHER,
        "channels": CHANNELS,
        "purposes": {pid: p.name for pid, p in ctx.datamap.purposes.items()},
        "today": date.today().isoformat(),
        "values": values,
        "errors": errors,
    }


@router.get("/admin/requests/new", response_class=HTMLResponse)
def entry_form(request: Request, ctx: RequestsCtx, staff: RequestHandler) -> HTMLResponse:
    return render(request, "admin/new_request.html.j2", _context(ctx, {"channel": "email"}, {}))


@router.post("/admin/requests/new", dependencies=[StaffForm])
def enter_request(
    request: Request,
    db: DbSession,
    ctx: RequestsCtx,
    staff: RequestHandler,
    channel: Annotated[str, Form(max_length=10)] = "",
    received_on: Annotated[str, Form(max_length=10)] = "",
    request_type: Annotated[str, Form(max_length=40)] = "",
    email: Annotated[str, Form(max_length=320)] = "",
    name: Annotated[str, Form(max_length=400)] = "",
    phone: Annotated[str, Form(max_length=40)] = "",
    country: Annotated[str, Form(max_length=8)] = "",
    country_other: Annotated[str, Form(max_length=8)] = "",
    region: Annotated[str, Form(max_length=8)] = "",
    address: Annotated[str, Form(max_length=600)] = "",
    message: Annotated[str, Form(max_length=6000)] = "",
    purpose: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    values = dict(
        channel=channel, received_on=received_on, request_type=request_type, email=email,
        name=name, phone=phone, country=country, country_other=country_other, region=region,
        address=address, message=message, purpose=purpose,
    )  # fmt: skip
    intake = Intake(
        request_type=request_type, email=email,
        country=country_other if country == OTHER else country, region=region or None,
        phone=phone or None, name=name or None, address=address or None,
        message=message or None, purpose=purpose or None, channel=channel,
    )  # fmt: skip
    try:
        received = _received_at(received_on, channel)
        submitted = submit_request(
            db, ctx=ctx, intake=intake, actor=staff_actor(staff), now=received
        )
    except RequestError as error:
        db.rollback()
        context = _context(ctx, values, form_errors(error))
        return render(request, "admin/new_request.html.j2", context, status_code=error.http_status)
    return RedirectResponse(f"/admin/requests/{submitted.request.reference}", status_code=303)


def _received_at(text: str, channel: str) -> datetime:
    """The moment the clock starts: now, or noon (UTC) of an earlier day of receipt — the law
    counts from receipt, not from when it was typed in (GDPR Art. 12(3))."""
    if channel not in CHANNELS:
        raise InvalidInputError(f"Choose how it came: {', '.join(CHANNELS)}.", field="channel")
    now = utcnow()
    if not text or text == now.date().isoformat():
        return now
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidInputError("Give the day as YYYY-MM-DD.", field="received_on") from None
    if day > now.date() or (now.date() - day).days > 366:
        raise InvalidInputError(
            "The day it was received must be in the past year, not in the future.",
            field="received_on",
        )
    return datetime.combine(day, time(12), tzinfo=UTC)
