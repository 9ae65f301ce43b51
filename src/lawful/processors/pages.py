"""Admin pages for the processor register (GDPR Art. 28): every processor of the map with its
agreement and the clients it serves; one processor with the forms that record its agreement
and announce a change of sub-processor, and the notices owed to clients, each recorded as
sent. Writing is kept to privacy officers and administrators; everyone else reads."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from lawful.auth.models import StaffUser
from lawful.auth.names import actor_names
from lawful.auth.roles import REQUEST_DECIDERS
from lawful.http.deps import (
    CurrentStaff,
    DbSession,
    PlatformDep,
    RequestDecider,
    StaffForm,
    staff_actor,
)
from lawful.http.platform import Platform
from lawful.http.templating import render
from lawful.processors import repository
from lawful.processors.errors import InvalidProcessorError, ProcessorError
from lawful.processors.models import Authorisation, ChangeKind
from lawful.processors.service import (
    announce_change,
    mark_sent,
    processors,
    record_agreement,
    register,
)
from lawful.store.models import utcnow

router = APIRouter(include_in_schema=False)


@router.get("/admin/processors", response_class=HTMLResponse)
def processor_register(
    request: Request, db: DbSession, platform: PlatformDep, staff: CurrentStaff
) -> HTMLResponse:
    context = {"active": "processors", "rows": register(db, datamap=platform.datamap), "today": utcnow().date(),
               "unsent": repository.unsent_count(db)}  # fmt: skip
    return render(request, "processors/register.html.j2", context)


@router.get("/admin/processors/{recipient}", response_class=HTMLResponse)
def processor_page(request: Request, db: DbSession, platform: PlatformDep, staff: CurrentStaff,
                   recipient: str) -> HTMLResponse:  # fmt: skip
    return render(request, "processors/processor.html.j2", _detail(db, platform, staff, recipient))


@router.post(
    "/admin/processors/{recipient}/agreement", response_class=HTMLResponse, dependencies=[StaffForm]
)
def agreement(
    request: Request,
    db: DbSession,
    platform: PlatformDep,
    staff: RequestDecider,
    recipient: str,
    signed_on: Annotated[str, Form(max_length=20)],
    authorisation: Annotated[str, Form(max_length=16)],
    safeguards: Annotated[str, Form(max_length=2000)] = "",
    review_on: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    try:
        if authorisation not in Authorisation.__members__:
            raise InvalidProcessorError(
                "Choose general or specific authorisation.", field="authorisation"
            )
        record_agreement(db, datamap=platform.datamap, recipient=recipient, actor=staff_actor(staff),
                         signed_on=_date(signed_on, "signed_on"), authorisation=Authorisation(authorisation),
                         safeguards=safeguards, review_on=_date(review_on, "review_on") if review_on else None)  # fmt: skip
    except ProcessorError as error:
        return _again(request, db, platform, staff, recipient, error)
    return RedirectResponse(f"/admin/processors/{recipient}", status_code=303)


@router.post(
    "/admin/processors/{recipient}/changes", response_class=HTMLResponse, dependencies=[StaffForm]
)
def change(
    request: Request,
    db: DbSession,
    platform: PlatformDep,
    staff: RequestDecider,
    recipient: str,
    kind: Annotated[str, Form(max_length=16)],
    description: Annotated[str, Form(max_length=2000)],
    effective_on: Annotated[str, Form(max_length=20)],
) -> Response:
    try:
        if kind not in ChangeKind.__members__:
            raise InvalidProcessorError("Choose added, replaced or removed.", field="kind")
        announce_change(db, datamap=platform.datamap, recipient=recipient, kind=ChangeKind(kind),
                        description=description, effective_on=_date(effective_on, "effective_on"),
                        actor=staff_actor(staff))  # fmt: skip
    except ProcessorError as error:
        return _again(request, db, platform, staff, recipient, error)
    return RedirectResponse(f"/admin/processors/{recipient}", status_code=303)


@router.post("/admin/processors/{recipient}/notices/{notice_id}/sent", response_class=HTMLResponse,
             dependencies=[StaffForm])  # fmt: skip
def sent(request: Request, db: DbSession, platform: PlatformDep, staff: RequestDecider, recipient: str,
         notice_id: int) -> Response:  # fmt: skip
    try:
        mark_sent(db, notice_id=notice_id, actor=staff_actor(staff))
    except ProcessorError as error:
        return _again(request, db, platform, staff, recipient, error)
    return RedirectResponse(f"/admin/processors/{recipient}", status_code=303)


def _again(request: Request, db: Session, platform: Platform, staff: StaffUser, recipient: str,
           error: ProcessorError) -> Response:  # fmt: skip
    db.rollback()
    context = _detail(db, platform, staff, recipient) | {"error": error.message}
    return render(request, "processors/processor.html.j2", context, status_code=error.http_status)


def _detail(db: Session, platform: Platform, staff: StaffUser, recipient: str) -> dict[str, Any]:
    rows = {row.recipient: row for row in register(db, datamap=platform.datamap)}
    if recipient not in rows:
        known = ", ".join(sorted(processors(platform.datamap)))
        raise InvalidProcessorError(f"`{recipient}` is not a processor of the map; processors: {known}.",
                                    field="recipient")  # fmt: skip
    changes = repository.changes(db, recipient=recipient)
    actors = [c.announced_by for c in changes] + [n.sent_by for c in changes for n in c.notices]
    row = rows[recipient]
    actors.append(row.agreement.updated_by if row.agreement else None)
    return {
        "active": "processors",
        "row": row,
        "changes": changes,
        "clients": platform.datamap.clients,
        "actor_names": actor_names(db, actors),
        "can_write": staff.role in REQUEST_DECIDERS,
        "error": None,
    }


def _date(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidProcessorError(
            f"{text.strip()!r} is not a date like 2027-06-30.", field=field
        ) from None
