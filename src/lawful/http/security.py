"""Security headers on every answer (OWASP Secure Headers Project).

Pages load nothing from elsewhere: scripts, styles and images come from this server only,
no inline script runs, no other site may frame a page, and nothing private is cached.
A route that needs another policy (the API docs) sets its own `Content-Security-Policy`.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lawful.errors import DomainError

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Never send an address to another site. Pages whose address holds a secret send none
    # at all (`TOKEN_PAGES`); elsewhere "same-origin" keeps `Origin` on our own forms.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
# Pages whose address carries a secret: a status token (`?token=`, from a mail link), a
# download link, a preference or unsubscribe token, a staff invitation or password-reset
# link, the code single sign-on comes back with. Their `Referer` would copy it into the
# next request, and a reverse proxy logs that header even where our access log hides the
# address; so they send none. (Their forms still pass the CSRF check: browsers send
# `Sec-Fetch-Site`, or `Origin: null`, which lets the form's token decide.)
TOKEN_PAGES = (
    "/privacy/requests/",
    "/privacy/downloads/",
    "/privacy/preferences/",
    "/u/",
    "/admin/welcome",
    "/admin/reset",
    "/admin/sso/callback",
)
STATIC_CACHE = "public, max-age=3600"
HSTS = "max-age=31536000"  # one year, on HTTPS only (RFC 6797 §7.2)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                if path.startswith(TOKEN_PAGES):
                    headers["Referrer-Policy"] = "no-referrer"
                # Everything but the stylesheet is private or changes: nothing is stored.
                cache = STATIC_CACHE if path.startswith("/static/") else "no-store"
                headers.setdefault("Cache-Control", cache)
                if https:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, send_with_headers)


MAX_BODY_BYTES = 6 * 1024 * 1024  # an ID document (5 MB at most) and the form around it


class BodyTooLargeError(DomainError):
    http_status = 413
    code = "too_large"

    def __init__(self, limit: int) -> None:
        size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit:,} bytes"
        super().__init__(f"What you sent is larger than {size}; send a smaller file.")


class BodyLimitMiddleware:
    """Refuse bodies over `max_bytes` (or the limit of their path in `limits`: larger for an
    audience to filter, smaller for a consent check), by their declared length first, then
    counted as they stream in, before anything parses them: no body is read past its limit."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int = MAX_BODY_BYTES,
        limits: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.limits = dict(limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.get(scope["path"], self.max_bytes)
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > limit:
            raise BodyTooLargeError(limit)
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLargeError(limit)
            return message

        await self.app(scope, counted, send)
