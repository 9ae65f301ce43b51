"""API tokens, for administrators: make one (its secret is shown once), see and revoke them."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from lawful.auth.errors import InvalidStaffInputError
from lawful.auth.repository import all_tokens
from lawful.auth.roles import API_SCOPES
from lawful.auth.service import create_token, revoke_token
from lawful.http.deps import Administrator, DbSession, StaffForm, staff_actor
from lawful.http.templating import render
from lawful.store.models import utcnow

router = APIRouter(include_in_schema=False)
LIFETIMES = (30, 90, 180, 365)  # days offered on the form


@router.get("/admin/tokens", response_class=HTMLResponse)
def tokens(request: Request, db: DbSession, staff: Administrator) -> HTMLResponse:
    return render(request, "admin/tokens.html.j2", _context(db))


@router.post("/admin/tokens", response_class=HTMLResponse, dependencies=[StaffForm])
def make_token(
    request: Request,
    db: DbSession,
    staff: Administrator,
    name: Annotated[str, Form(max_length=100)] = "",
    scopes: Annotated[list[str] | None, Form()] = None,
    days: Annotated[int, Form(ge=1, le=366)] = 90,
) -> HTMLResponse:
    """Make a token and show its secret on this page, once: only its digest is stored."""
    now = utcnow()
    try:
        new = create_token(
            db, name=name, scopes=scopes or [], expires_at=now + timedelta(days=days),
            created_by=staff, now=now,
        )  # fmt: skip
    except InvalidStaffInputError as error:
        context = _context(db) | {"errors": {error.field or "": error.message}}
        return render(request, "admin/tokens.html.j2", context, status_code=422)
    context = _context(db) | {"created": new.token, "secret": new.secret}
    return render(request, "admin/tokens.html.j2", context, status_code=201)


@router.post("/admin/tokens/{token_id}/revoke", dependencies=[StaffForm])
def revoke(db: DbSession, staff: Administrator, token_id: str) -> RedirectResponse:
    revoke_token(db, token_id=token_id, actor=staff_actor(staff), now=utcnow())
    return RedirectResponse("/admin/tokens", status_code=303)


def _context(db: Session) -> dict[str, Any]:
    return {
        "active": "tokens",
        "tokens": all_tokens(db),
        "scopes": API_SCOPES,
        "lifetimes": LIFETIMES,
        "now": utcnow(),
        "errors": {},
        "created": None,
        "secret": None,
    }
