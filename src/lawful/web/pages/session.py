"""Staff sign-in and sign-out."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from lawful.auth.models import StaffUser
from lawful.auth.service import SignInPolicy, authenticate, end_session, start_session
from lawful.http.auth import check_csrf, clear_session_cookie, platform_of, set_session_cookie
from lawful.http.deps import DbSession, PublicForm, RateLimited, StaffSessionDep
from lawful.http.templating import render
from lawful.store.models import utcnow

router = APIRouter(include_in_schema=False)
HOME = "/admin/requests"


def safe_next(target: str | None) -> str:
    """Only a path inside the admin console: never an open redirect to another site."""
    if target and target.startswith("/admin") and not target.startswith("//"):
        return target
    return HOME


@router.get("/admin")
def admin_home() -> RedirectResponse:
    return RedirectResponse(HOME, status_code=303)


@router.get("/admin/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request, record: StaffSessionDep, next: str = HOME) -> Response:
    if record is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "admin/sign_in.html.j2", _form_context(request, next, error=None))


_NOTICES = {
    "password": "Your password is saved: sign in with it.",
}
_ERRORS = {
    "codes": "Too many wrong codes: sign in again.",
}


def _form_context(request: Request, next: str, *, error: str | None) -> dict[str, object]:
    settings = platform_of(request).settings
    return {
        "next": safe_next(next),
        "error": error or _ERRORS.get(request.query_params.get("error", "")),
        "notice": _NOTICES.get(request.query_params.get("done", "")),
        "sso": settings.oidc_provider_name if settings.oidc_issuer else None,
    }


@router.post("/admin/sign-in", dependencies=[RateLimited, PublicForm])
def sign_in(
    request: Request,
    db: DbSession,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2000)] = HOME,
) -> Response:
    """Check the password; failures are counted (and committed) per email, then throttled."""
    settings = platform_of(request).settings
    policy = SignInPolicy(
        max_failures=settings.sign_in_max_failures,
        lockout=timedelta(minutes=settings.sign_in_lockout_minutes),
    )
    keyring, now = platform_of(request).keyring, utcnow()
    outcome = authenticate(
        db, keyring=keyring, email=email, password=password, policy=policy, now=now
    )
    if outcome.user is None:
        return _refused(request, next=next, retry_after=outcome.retry_after)
    return signed_in(request, db, outcome.user, next=next, method="password")


def signed_in(
    request: Request, db: Session, user: StaffUser, *, next: str, method: str
) -> RedirectResponse:
    """Open a session for `user` (password or single sign-on checked): to `next`, or to the
    second factor's code first when the account has one."""
    settings = platform_of(request).settings
    lifetime = timedelta(hours=settings.session_max_hours)
    agent = request.headers.get("user-agent")
    new = start_session(db, user=user, lifetime=lifetime, now=utcnow(), user_agent=agent,
                        method=method)  # fmt: skip
    target = safe_next(next)
    if new.record.second_factor_due:
        target = f"/admin/sign-in/code?{urlencode({'next': target})}"
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, new.secret)
    return response


def _refused(request: Request, *, next: str, retry_after: timedelta | None) -> Response:
    if retry_after is None:
        error, status = "Wrong email or password.", 401
    else:
        minutes = max(1, round(retry_after.total_seconds() / 60))
        error, status = (
            f"Too many wrong passwords: sign-in for this email is paused for {minutes} "
            "minute(s). Ask an administrator if you forgot your password.",
            429,
        )
    context = _form_context(request, next, error=error)
    response = render(request, "admin/sign_in.html.j2", context, status_code=status)
    if retry_after is not None:
        response.headers["Retry-After"] = str(max(1, int(retry_after.total_seconds())))
    return response


async def _sign_out_form(request: Request, record: StaffSessionDep) -> None:
    # A session that already ended needs no protecting: signing out again just redirects.
    if record is not None:
        await check_csrf(request)


@router.post("/admin/sign-out", dependencies=[Depends(_sign_out_form)])
def sign_out(request: Request, db: DbSession, record: StaffSessionDep) -> Response:
    if record is not None:
        end_session(db, record=record, now=utcnow())
    response = RedirectResponse("/admin/sign-in", status_code=303)
    clear_session_cookie(response, request)
    return response
