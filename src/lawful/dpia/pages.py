"""Admin pages for the DPIA register (GDPR Art. 35): every purpose we control with its
screening on the WP248 criteria and its DPIA, one DPIA with its state and review, and the
forms that open and advance one. Writing is kept to privacy officers and administrators
(Art. 35(2): the DPO is consulted); everyone else reads."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from lawful.auth.models import StaffUser
from lawful.auth.names import actor_names
from lawful.auth.roles import REQUEST_DECIDERS
from lawful.dpia.errors import DpiaError, InvalidDpiaError
from lawful.dpia.models import DpiaState
from lawful.dpia.service import NEXT_STATES, get_dpia, open_dpia, screen_purposes, update_dpia
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
from lawful.law.dpia import CRITERIA_TITLES, Criterion

router = APIRouter(include_in_schema=False)


@router.get("/admin/dpia", response_class=HTMLResponse)
def register(
    request: Request, db: DbSession, platform: PlatformDep, staff: CurrentStaff
) -> HTMLResponse:
    return render(request, "dpia/register.html.j2", _context(db, platform, staff))


@router.post("/admin/dpia", response_class=HTMLResponse, dependencies=[StaffForm])
def open_one(
    request: Request,
    db: DbSession,
    platform: PlatformDep,
    staff: RequestDecider,
    purpose: Annotated[str, Form(max_length=100)],
    criteria: Annotated[list[str] | None, Form()] = None,
    review_on: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    try:
        dpia = open_dpia(db, datamap=platform.datamap, purpose=purpose, actor=staff_actor(staff),
                         criteria=criteria or [], review_on=_date(review_on))  # fmt: skip
    except DpiaError as error:
        db.rollback()
        context = _context(db, platform, staff) | {"error": error.message}
        return render(request, "dpia/register.html.j2", context, status_code=error.http_status)
    return RedirectResponse(f"/admin/dpia/{dpia.reference}", status_code=303)


@router.get("/admin/dpia/{reference}", response_class=HTMLResponse)
def dpia_page(request: Request, db: DbSession, platform: PlatformDep, staff: CurrentStaff,
              reference: str) -> HTMLResponse:  # fmt: skip
    return render(request, "dpia/dpia.html.j2", _detail(db, platform, staff, reference))


@router.post("/admin/dpia/{reference}", response_class=HTMLResponse, dependencies=[StaffForm])
def update_one(
    request: Request,
    db: DbSession,
    platform: PlatformDep,
    staff: RequestDecider,
    reference: str,
    state: Annotated[str, Form(max_length=20)] = "",
    summary: Annotated[str, Form(max_length=20000)] = "",
    review_on: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    try:
        update_dpia(db, reference=reference, actor=staff_actor(staff), state=_state(state),
                    summary=summary, review_on=_date(review_on))  # fmt: skip
    except DpiaError as error:
        db.rollback()
        context = _detail(db, platform, staff, reference) | {"error": error.message}
        return render(request, "dpia/dpia.html.j2", context, status_code=error.http_status)
    return RedirectResponse(f"/admin/dpia/{reference}", status_code=303)


def _context(db: Session, platform: Platform, staff: StaffUser) -> dict[str, Any]:
    rows = screen_purposes(db, datamap=platform.datamap)
    return {
        "active": "dpia",
        "rows": rows,
        "purposes": sorted(platform.datamap.purposes),
        "criteria": [(c.value, CRITERIA_TITLES[c]) for c in Criterion],
        "can_write": staff.role in REQUEST_DECIDERS,
        "error": None,
    }


def _detail(db: Session, platform: Platform, staff: StaffUser, reference: str) -> dict[str, Any]:
    dpia = get_dpia(db, reference=reference)
    purpose = platform.datamap.purposes.get(dpia.purpose)
    return {
        "active": "dpia",
        "dpia": dpia,
        "purpose_name": purpose.name if purpose else None,
        "titles": {c.value: t for c, t in CRITERIA_TITLES.items()},
        "next_states": [s.value for s in NEXT_STATES[dpia.state]],
        "actor_names": actor_names(db, [a for a in (dpia.created_by, dpia.approved_by) if a]),
        "can_write": staff.role in REQUEST_DECIDERS,
        "error": None,
    }


def _date(text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidDpiaError(
            f"{text.strip()!r} is not a date like 2027-06-30.", field="review_on"
        ) from None


def _state(text: str) -> DpiaState | None:
    if not text:
        return None
    if text not in DpiaState.__members__:
        raise InvalidDpiaError("Choose started or approved.", field="state")
    return DpiaState(text)
