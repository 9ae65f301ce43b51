"""Browser-side security: signed cookies, the staff session cookie, the visitor cookie of the
privacy center, and CSRF tokens.

- Staff sessions: the cookie holds a random secret, signed (itsdangerous) and HttpOnly,
  SameSite=Lax, Secure over HTTPS; the server keeps a `StaffSession` row (only the secret's
  SHA-256), so signing out or expiry ends the session whatever the browser keeps.
- Visitors (people using the privacy center, staff before sign-in): a signed random id in a
  browser-session cookie. It binds CSRF tokens and download links to one browser.
- CSRF: every form carries a token (hidden input `csrf_token`): the staff session's own token
  once signed in, else an HMAC of the visitor id. Every state-changing form POST is checked,
  and a post the browser marks as cross-site is refused whatever it carries (OWASP CSRF
  Prevention Cheat Sheet: synchronizer token, plus Fetch Metadata / Origin checks).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, TimestampSigner
from starlette.requests import Request
from starlette.responses import Response

from lawful.errors import DomainError
from lawful.http.platform import Platform

SESSION_COOKIE = "lawful_session"
VISITOR_COOKIE = "lawful_visitor"
CSRF_FIELD = "csrf_token"
_SESSION_SALT = "lawful.staff-session"
_VISITOR_SALT = "lawful.visitor"
_VISITOR_MAX_AGE = 24 * 3600  # a visitor id older than a day is replaced


class CsrfError(DomainError):
    """A form post without the right token, or one the browser says came from another site."""

    http_status = 403
    code = "csrf_failed"


def platform_of(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def _signer(platform: Platform, salt: str) -> TimestampSigner:
    return TimestampSigner(platform.cookie_key, salt=salt)


def unsign(platform: Platform, value: str | None, *, salt: str, max_age: int) -> str | None:
    if not value:
        return None
    try:
        return _signer(platform, salt).unsign(value, max_age=max_age).decode()
    except BadSignature:  # also raised for an expired timestamp
        return None


def secure_cookies(request: Request) -> bool:
    configured = platform_of(request).settings.secure_cookies
    return request.url.scheme == "https" if configured is None else configured


# --- staff session cookie ------------------------------------------------------------------------


def session_secret(request: Request) -> str | None:
    """The secret in a validly signed session cookie (the server still checks the session)."""
    platform = platform_of(request)
    max_age = platform.settings.session_max_hours * 3600
    cookie = request.cookies.get(SESSION_COOKIE)
    return unsign(platform, cookie, salt=_SESSION_SALT, max_age=max_age)


def set_session_cookie(response: Response, request: Request, secret: str) -> None:
    platform = platform_of(request)
    response.set_cookie(
        SESSION_COOKIE,
        _signer(platform, _SESSION_SALT).sign(secret).decode(),
        max_age=platform.settings.session_max_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=secure_cookies(request), path="/"
    )


# --- visitor cookie ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Visitor:
    id: str  # random, 256 bits; never shown, never stored in clear
    new: bool  # the response must set the cookie


def visitor_of(request: Request) -> Visitor:
    """The browser's visitor id: from its signed cookie, or a new one (set by `render`)."""
    cached: Visitor | None = getattr(request.state, "visitor", None)
    if cached is not None:
        return cached
    platform = platform_of(request)
    cookie = request.cookies.get(VISITOR_COOKIE)
    known = unsign(platform, cookie, salt=_VISITOR_SALT, max_age=_VISITOR_MAX_AGE)
    visitor = Visitor(known, False) if known else Visitor(secrets.token_urlsafe(32), True)
    request.state.visitor = visitor
    return visitor


def set_visitor_cookie(response: Response, request: Request) -> None:
    visitor = visitor_of(request)
    if not visitor.new:
        return
    response.set_cookie(
        VISITOR_COOKIE,
        _signer(platform_of(request), _VISITOR_SALT).sign(visitor.id).decode(),
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/",
    )


def browser_session_id(request: Request) -> str | None:
    """An id for this browser session, to bind a download link to it; None when the browser
    has no visitor cookie yet (it gets one with the first page)."""
    visitor = visitor_of(request)
    return None if visitor.new else visitor.id


# --- CSRF ----------------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """The token forms on this page must carry."""
    staff_token: str | None = getattr(request.state, "staff_csrf", None)
    if staff_token is not None:
        return staff_token
    visitor = visitor_of(request)
    digest = hmac.new(platform_of(request).cookie_key, b"csrf:" + visitor.id.encode(), "sha256")
    return digest.hexdigest()


async def check_csrf(request: Request) -> None:
    """Refuse a form post from another site, or without this browser's token."""
    if _cross_site(request):
        raise CsrfError("This form was sent from another website, so it was refused.")
    visitor_new = visitor_of(request).new and getattr(request.state, "staff_csrf", None) is None
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    expected = csrf_token(request)
    if visitor_new or not isinstance(sent, str) or not secrets.compare_digest(sent, expected):
        raise CsrfError(
            "This form has expired or did not come from this site. Go back, reload the page "
            "and send it again."
        )


def _cross_site(request: Request) -> bool:
    """Fetch Metadata first (every current browser sends it); the Origin header otherwise.
    Another site, even a sibling subdomain, never has a reason to post our forms."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("cross-site", "same-site")
    origin = request.headers.get("origin")
    if origin is None or origin == "null":  # "null": privacy-preserving browsers; the token decides
        return False
    return origin != f"{request.url.scheme}://{request.url.netloc}"
