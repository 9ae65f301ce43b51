"""Dependencies shared by every router: the platform, a database session per request, the
signed-in staff member and their role, API tokens with scopes, CSRF checks, rate limits.

A domain router uses them like this:

    @router.post("/things", dependencies=[RateLimited])
    def create_thing(db: DbSession, token: Annotated[ApiToken, Depends(require_scopes("x:write"))]):
        ...

`DbSession` commits after the handler returns and rolls back if it raises, before the
response is sent: a response that says "done" means the change is stored.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from lawful.auth.models import ApiToken, Role, StaffSession, StaffUser
from lawful.auth.roles import ADMINS, REQUEST_DECIDERS, REQUEST_HANDLERS, ROLE_TITLES
from lawful.auth.service import check_token, resume_session
from lawful.auth.training import training_status
from lawful.datamap.models import DataMap
from lawful.errors import DomainError
from lawful.formats import day, display_zone
from lawful.http.auth import browser_session_id, check_csrf, platform_of, session_secret
from lawful.http.platform import Platform
from lawful.store.crypto import Keyring
from lawful.store.models import utcnow


class WebError(DomainError):
    """An error raised by the web layer itself; rendered as JSON or an HTML page."""

    http_status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.headers: dict[str, str] = {}


class SignInRequiredError(WebError):
    """No live staff session: pages send the browser to the sign-in form."""

    http_status = 401
    code = "sign_in_required"


class SendElsewhereError(WebError):
    """A signed-in page that must wait for another step first (the second factor's code, or
    enrolling one): pages send the browser there; the API gets the message."""

    http_status = 403
    code = "second_factor_required"

    def __init__(self, message: str, *, location: str) -> None:
        super().__init__(message)
        self.location = location


class PermissionDeniedError(WebError):
    http_status = 403
    code = "forbidden"


class ApiTokenError(WebError):
    http_status = 401
    code = "invalid_token"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.headers = {"WWW-Authenticate": 'Bearer realm="lawful"'}


class ScopeError(WebError):
    http_status = 403
    code = "insufficient_scope"


class RateLimitedError(WebError):
    http_status = 429
    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many requests: try again in {retry_after} seconds.")
        self.headers = {"Retry-After": str(retry_after)}


# --- the platform and the store ------------------------------------------------------------------


def get_platform(request: Request) -> Platform:
    return platform_of(request)


def db_session(request: Request) -> Iterator[Session]:
    """One session per request: committed after the handler succeeds, rolled back if it
    raises. Used with scope="function", so the commit happens before the response is sent."""
    session = platform_of(request).sessions()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def get_keyring(request: Request) -> Keyring:
    return platform_of(request).keyring


def get_datamap(request: Request) -> DataMap:
    return platform_of(request).datamap


PlatformDep = Annotated[Platform, Depends(get_platform)]
DbSession = Annotated[Session, Depends(db_session, scope="function")]
KeyringDep = Annotated[Keyring, Depends(get_keyring)]
DataMapDep = Annotated[DataMap, Depends(get_datamap)]


# --- staff -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffView:
    """Who is signed in, as the page layout shows it."""

    id: str
    name: str
    role: Role


def staff_session(request: Request, db: DbSession) -> StaffSession | None:
    """The signed-in staff member's live session, if the browser has one."""
    secret = session_secret(request)
    if secret is None:
        return None
    settings = platform_of(request).settings
    idle = timedelta(minutes=settings.session_idle_minutes)
    record = resume_session(db, secret=secret, idle=idle, now=utcnow())
    if record is not None:
        # A plain copy for the layout: error pages render after the session is gone. A
        # session still waiting for its second factor shows no menu.
        user = record.user
        if not record.second_factor_due:
            request.state.staff = StaffView(id=user.id, name=user.name, role=user.role)
        request.state.staff_csrf = record.csrf_token
    return record


StaffSessionDep = Annotated[StaffSession | None, Depends(staff_session)]


SECOND_FACTOR_PAGE = "/admin/sign-in/code"
ENROL_PAGE = "/admin/account/two-factor"


def signed_in_staff(request: Request, record: StaffSessionDep) -> StaffUser:
    """The signed-in staff member past the second factor, enrolled or not: the pages that
    enrol one use it. Pages without a session send the browser to sign in."""
    if record is None:
        raise SignInRequiredError("Sign in to use the admin console.")
    if record.second_factor_due:
        raise SendElsewhereError(
            "Type the code of your authenticator app to finish signing in.",
            location=SECOND_FACTOR_PAGE,
        )
    return record.user


SignedInStaff = Annotated[StaffUser, Depends(signed_in_staff)]


def current_staff(request: Request, user: SignedInStaff) -> StaffUser:
    """The signed-in staff member; a member of a role that must use a second factor and has
    none is sent to enrol before any other page (`require_2fa_roles`)."""
    required = platform_of(request).settings.require_2fa_roles
    if user.role.value in required and user.totp_enabled_at is None:
        raise SendElsewhereError(
            "Your role must use a second factor: set up an authenticator app first.",
            location=ENROL_PAGE,
        )
    return user


CurrentStaff = Annotated[StaffUser, Depends(current_staff)]


def require_role(*roles: Role) -> Callable[[StaffUser], StaffUser]:
    """A dependency that lets only `roles` through (403 for the others)."""
    allowed = frozenset(roles)

    def dependency(user: CurrentStaff) -> StaffUser:
        if user.role not in allowed:
            raise PermissionDeniedError(
                f"Your role ({ROLE_TITLES[user.role]}) cannot do this; ask an administrator."
            )
        return user

    return dependency


class TrainingRequiredError(WebError):
    """The staff member's role needs a valid training attestation to see personal data."""

    http_status = 403
    code = "training_required"


def trained_staff(request: Request, user: CurrentStaff, db: DbSession) -> StaffUser:
    """Staff whose role must be trained (`training_required_roles`) see personal data only
    with a valid attestation (GDPR Art. 32(4), 39(1)(b)); others pass."""
    if user.role.value not in platform_of(request).settings.training_required_roles:
        return user
    status = training_status(db, user_id=user.id)
    today = utcnow().astimezone(display_zone(platform_of(request).settings)).date()
    if status.valid_on(today):
        return user
    if status.expires_on is None:
        raise TrainingRequiredError(
            "This page shows personal data, and your role needs data protection training "
            "first: no training of yours is on record. Ask your privacy officer to record it."
        )
    raise TrainingRequiredError(
        f"This page shows personal data, and your training expired on {day(status.expires_on)}. "
        "Take the course again and ask your privacy officer to record it."
    )


# Pages that show personal data take it at their router: `APIRouter(dependencies=[PersonData])`.
PersonData = Depends(trained_staff)


# The role groups of `lawful.auth.roles`, as dependencies: one definition for every page.
RequestHandler = Annotated[StaffUser, Depends(require_role(*REQUEST_HANDLERS))]
RequestDecider = Annotated[StaffUser, Depends(require_role(*REQUEST_DECIDERS))]
Administrator = Annotated[StaffUser, Depends(require_role(*ADMINS))]


# --- CSRF --------------------------------------------------------------------------------------------


async def staff_form(request: Request, _record: StaffSessionDep) -> None:
    """Check the CSRF token of an admin form (the staff session's token)."""
    await check_csrf(request)


async def public_form(request: Request) -> None:
    """Check the CSRF token of a privacy-center or sign-in form (the visitor's token)."""
    await check_csrf(request)


StaffForm = Depends(staff_form)
PublicForm = Depends(public_form)


def browser_session(request: Request) -> str | None:
    """This browser's session id (see `lawful.http.auth.browser_session_id`)."""
    return browser_session_id(request)


BrowserSession = Annotated[str | None, Depends(browser_session)]


# --- API tokens ----------------------------------------------------------------------------------

_bearer = HTTPBearer(
    auto_error=False,
    description="An API token made by an administrator in the admin console (API tokens).",
)
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def require_scopes(
    *scopes: str,
) -> Callable[[Session, HTTPAuthorizationCredentials | None], ApiToken]:
    """A dependency that needs `Authorization: Bearer <token>` with all of `scopes`:
    401 without a live token, 403 when the token lacks a scope."""
    needed = frozenset(scopes)

    def dependency(db: DbSession, credentials: Bearer) -> ApiToken:
        if credentials is None:
            raise ApiTokenError("Send an API token: `Authorization: Bearer <token>`.")
        token = check_token(db, secret=credentials.credentials, now=utcnow())
        if token is None:
            raise ApiTokenError("This API token is unknown, revoked or expired.")
        missing = sorted(needed - set(token.scopes))
        if missing:
            raise ScopeError(f"This API token lacks the scope(s): {', '.join(missing)}.")
        return token

    return dependency


def token_actor(token: ApiToken) -> str:
    """How the audit trail names a change made with an API token."""
    return f"token:{token.id}"


def staff_actor(user: StaffUser) -> str:
    """How the audit trail names a change made by a staff member."""
    return f"staff:{user.id}"


# --- rate limits -------------------------------------------------------------------------------------


def rate_limited(request: Request) -> None:
    """Count this request against the client's bucket for this route; 429 when empty."""
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    client = request.client.host if request.client else "unknown"
    wait = platform_of(request).limiter.hit(f"{client} {request.method} {path}")
    if wait is not None:
        raise RateLimitedError(max(1, math.ceil(wait)))


RateLimited = Depends(rate_limited)
