"""Admin page for staff training: every staff member with their latest course and its expiry,
and the form that records one (privacy officers and administrators: Art. 39(1)(b))."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from lawful.auth.models import StaffUser
from lawful.auth.names import actor_names
from lawful.auth.roles import REQUEST_DECIDERS, ROLE_TITLES
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
from lawful.store.models import utcnow
from lawful.training.errors import InvalidTrainingError
from lawful.training.service import record_training, staff_training

router = APIRouter(include_in_schema=False)


@router.get("/admin/training", response_class=HTMLResponse)
def training(
    request: Request, db: DbSession, platform: PlatformDep, staff: CurrentStaff
) -> HTMLResponse:
    return render(request, "training/training.html.j2", _context(db, platform, staff))


@router.post("/admin/training", response_class=HTMLResponse, dependencies=[StaffForm])
def record(
    request: Request,
    db: DbSession,
    platform: PlatformDep,
    staff: RequestDecider,
    user_id: Annotated[str, Form(max_length=32)],
    course: Annotated[str, Form(max_length=200)],
    completed_on: Annotated[str, Form(max_length=20)],
    expires_on: Annotated[str, Form(max_length=20)],
) -> Response:
    try:
        user = db.scalars(select(StaffUser).where(StaffUser.id == user_id)).first()
        if user is None:
            raise InvalidTrainingError("Choose a staff member from the list.", field="user_id")
        record_training(db, user=user, course=course, actor=staff_actor(staff),
                        completed_on=_date(completed_on, "completed_on"),
                        expires_on=_date(expires_on, "expires_on"))  # fmt: skip
    except InvalidTrainingError as error:
        db.rollback()
        context = _context(db, platform, staff) | {"error": error.message}
        return render(request, "training/training.html.j2", context, status_code=error.http_status)
    return RedirectResponse("/admin/training", status_code=303)


def _context(db: Session, platform: Platform, staff: StaffUser) -> dict[str, Any]:
    rows = staff_training(db)
    today = utcnow().date()
    recorders = [row.latest.recorded_by for row in rows if row.latest]
    return {
        "active": "training",
        "rows": rows,
        "today": today,
        "roles": ROLE_TITLES,
        "required": set(platform.settings.training_required_roles),
        "actor_names": actor_names(db, recorders),
        "can_write": staff.role in REQUEST_DECIDERS,
        "error": None,
    }


def _date(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidTrainingError(
            f"{text.strip()!r} is not a date like 2027-06-30.", field=field
        ) from None
