"""My account: one's own sessions (revocable) and second factor (enrol with a QR code, turn
off); the second step of sign-in (the code); and the pages an invitation or a password-reset
link opens to choose a password."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from lawful.auth import accounts, second_factor
from lawful.auth.errors import AuthError
from lawful.auth.models import StaffSession, StaffUser
from lawful.auth.repository import count_code_failure
from lawful.auth.service import complete_second_factor, end_session
from lawful.http.auth import clear_session_cookie, platform_of
from lawful.http.deps import (
    CurrentStaff,
    DbSession,
    PublicForm,
    RateLimited,
    SignedInStaff,
    StaffForm,
    StaffSessionDep,
    WebError,
    staff_actor,
)
from lawful.http.templating import render
from lawful.store.models import utcnow
from lawful.web.pages.session import HOME, safe_next

router = APIRouter(include_in_schema=False)


class SessionNotFoundError(WebError):
    http_status = 404
    code = "not_found"


def _account_context(
    request: Request, db: Session, user: StaffUser, record: StaffSession | None
) -> dict[str, Any]:
    return {
        "active": "account",
        "user": user,
        "sessions": accounts.live_sessions(db, user_id=user.id, now=utcnow()),
        "describe_agent": accounts.describe_agent,
        "current_session": record.id if record else None,
        "revoke_base": "/admin/account/sessions/",
        "required": user.role.value in platform_of(request).settings.require_2fa_roles,
        "recovery_left": second_factor.remaining_recovery_codes(db, user=user),
        "notice": request.query_params.get("done"),
    }


@router.get("/admin/account", response_class=HTMLResponse)
def account(
    request: Request, db: DbSession, user: CurrentStaff, record: StaffSessionDep
) -> HTMLResponse:
    return render(request, "admin/account.html.j2", _account_context(request, db, user, record))


@router.post("/admin/account/sessions/{session_id}/revoke", dependencies=[StaffForm])
def revoke_own_session(
    request: Request, db: DbSession, user: CurrentStaff, session_id: str
) -> Response:
    target = db.get(StaffSession, session_id)
    if target is None or target.user_id != user.id:
        raise SessionNotFoundError("You have no session with this id.")
    accounts.revoke_session(db, record=target, actor=staff_actor(user), now=utcnow())
    return RedirectResponse("/admin/account?done=session_revoked", status_code=303)


# --- second factor: enrol, turn off -------------------------------------------------------------


@router.get("/admin/account/two-factor", response_class=HTMLResponse)
def enrol_form(request: Request, db: DbSession, user: SignedInStaff) -> Response:
    if user.two_factor:
        return RedirectResponse("/admin/account", status_code=303)
    enrolment = second_factor.start_enrolment(db, keyring=platform_of(request).keyring, user=user)
    context = {"active": "account", "enrolment": enrolment, "error": None, "codes": None}
    return render(request, "admin/two_factor.html.j2", context)


@router.post("/admin/account/two-factor", response_class=HTMLResponse, dependencies=[StaffForm])
def enrol(
    request: Request,
    db: DbSession,
    user: SignedInStaff,
    code: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Confirm the app with a first code; the recovery codes are shown once."""
    keyring = platform_of(request).keyring
    try:
        codes = second_factor.confirm_enrolment(
            db, keyring=keyring, user=user, code=code, now=utcnow()
        )
    except AuthError as error:
        enrolment = second_factor.start_enrolment(db, keyring=keyring, user=user)
        context = {
            "active": "account",
            "enrolment": enrolment,
            "error": error.message,
            "codes": None,
        }
        return render(request, "admin/two_factor.html.j2", context, status_code=422)
    context = {"active": "account", "enrolment": None, "error": None, "codes": codes}
    return render(request, "admin/two_factor.html.j2", context)


@router.post("/admin/account/two-factor/off", dependencies=[StaffForm])
def turn_off(request: Request, db: DbSession, user: CurrentStaff) -> Response:
    if user.role.value in platform_of(request).settings.require_2fa_roles:
        raise WebError("Your role must use a second factor: it cannot be turned off.")
    second_factor.turn_off(db, user=user, actor=staff_actor(user))
    return RedirectResponse("/admin/account?done=two_factor_off", status_code=303)


# --- the second step of sign-in ----------------------------------------------------------------


@router.get("/admin/sign-in/code", response_class=HTMLResponse)
def code_form(request: Request, record: StaffSessionDep, next: str = HOME) -> Response:
    if record is None:
        return RedirectResponse("/admin/sign-in", status_code=303)
    if not record.second_factor_due:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "admin/sign_in_code.html.j2", {"next": safe_next(next), "error": None})


@router.post("/admin/sign-in/code", dependencies=[RateLimited, StaffForm])
def check_code(
    request: Request,
    db: DbSession,
    record: StaffSessionDep,
    code: Annotated[str, Form(max_length=20)] = "",
    next: Annotated[str, Form(max_length=2000)] = HOME,
) -> Response:
    """A TOTP or recovery code, once; after too many wrong ones the pending sign-in ends."""
    if record is None:
        return RedirectResponse("/admin/sign-in", status_code=303)
    if not record.second_factor_due:
        return RedirectResponse(safe_next(next), status_code=303)
    keyring, now = platform_of(request).keyring, utcnow()
    if second_factor.verify_second_factor(
        db, keyring=keyring, user=record.user, code=code, now=now
    ):
        complete_second_factor(db, record=record)
        return RedirectResponse(safe_next(next), status_code=303)
    failures = count_code_failure(db, session_id=record.id)
    if failures >= second_factor.MAX_CODE_FAILURES:
        end_session(db, record=record, now=now)
        response = RedirectResponse("/admin/sign-in?error=codes", status_code=303)
        clear_session_cookie(response, request)
        return response
    context = {
        "next": safe_next(next),
        "error": "This code does not match, or was used already. Type the code your app "
        "shows now, or one of your recovery codes.",
    }
    return render(request, "admin/sign_in_code.html.j2", context, status_code=401)


# --- links from mail: accept an invitation, reset a password ------------------------------------


def _link_page(
    request: Request, db: Session, token: str, *, error: str | None, status: int
) -> Response:
    try:
        link = accounts.open_link(db, secret=token, now=utcnow())
    except AuthError as problem:
        return render(request, "admin/choose_password.html.j2",
                      {"token": "", "error": problem.message, "name": None,
                       "action": request.url.path, "invite": False},
                      status_code=problem.http_status)  # fmt: skip
    user = db.get(StaffUser, link.user_id)
    context = {"token": token, "error": error, "name": user.name if user else "",
               "action": request.url.path, "invite": link.purpose.value == "invite"}  # fmt: skip
    return render(request, "admin/choose_password.html.j2", context, status_code=status)


@router.get("/admin/welcome", response_class=HTMLResponse)
@router.get("/admin/reset", response_class=HTMLResponse)
def choose_password_form(request: Request, db: DbSession, token: str = "") -> Response:
    return _link_page(request, db, token, error=None, status=200)


@router.post("/admin/welcome", dependencies=[RateLimited, PublicForm])
@router.post("/admin/reset", dependencies=[RateLimited, PublicForm])
def choose_password(
    request: Request,
    db: DbSession,
    token: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    repeat: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    if password != repeat:
        return _link_page(request, db, token, error="The two passwords differ.", status=422)
    try:
        accounts.use_link(db, secret=token, password=password, now=utcnow())
    except AuthError as error:
        db.rollback()
        return _link_page(request, db, token, error=error.message, status=error.http_status)
    return RedirectResponse("/admin/sign-in?done=password", status_code=303)
