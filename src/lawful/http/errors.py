"""Errors as people and programs need them.

The JSON API answers `{"error": {"code", "message", "field"}}` with the right status; pages
answer an HTML page saying what went wrong and what to do. A domain error is any exception
that carries a 4xx `http_status` (`lawful.errors.DomainError` and its kin; `status_code` is
read too), a `message` and optionally a `field` and a `code`: domains need not import the web
layer to be rendered well.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lawful.http.deps import SendElsewhereError, SignInRequiredError

log = logging.getLogger("lawful.web")

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
    500: "internal_error",
}
TITLES = {
    400: "This request could not be understood",
    401: "Sign-in needed",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed here",
    409: "Not possible now",
    410: "No longer available",
    413: "Too large",
    415: "Unsupported file type",
    422: "Please check what you entered",
    429: "Too many tries",
    500: "Something went wrong on our side",
}
# What each error status means to an API client, as the OpenAPI document says it.
API_MEANINGS = {
    400: "Refused: `message` says why (such as a wrong code)",
    401: "No valid API token: send `Authorization: Bearer <token>` (see `WWW-Authenticate`)",
    403: "Not allowed: the token lacks a scope, or this is not yours to do",
    404: "Nothing has this reference or id (or the token given with it is wrong)",
    409: "Not possible in the state the request or record is in now",
    410: "No longer available",
    413: "What was sent is too large",
    415: "Unsupported file type",
    422: "Invalid input: `field` names the input at fault",
    429: "Too many requests or tries: try again after `Retry-After` seconds",
}
_UNREADABLE_BODY = "There was an error parsing the body"
_API_PREFIXES = ("/api/", "/v1/", "/.well-known/", "/openapi.json")
_PAGE_PREFIXES = ("/privacy", "/admin")


def wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith(_API_PREFIXES):
        return False
    return path.startswith(_PAGE_PREFIXES) or "text/html" in request.headers.get("accept", "")


def domain_status(error: BaseException) -> int | None:
    """The HTTP status a domain error carries, if it is one (4xx only)."""
    status = getattr(error, "http_status", None) or getattr(error, "status_code", None)
    if isinstance(status, int) and 400 <= status < 500:
        return status
    return None


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable, for programs: `not_found`, `invalid_input`…")
    message: str = Field(description="What went wrong and what to do, for a person")
    field: str | None = Field(description="The input at fault (`email`, `limit`), if one is")


class ErrorOut(BaseModel):
    """The body of every error the JSON API answers."""

    error: ErrorDetail


def error_body(*, code: str, message: str, field: str | None = None) -> dict[str, Any]:
    """The JSON body of an API error: the `ErrorOut` the OpenAPI document describes."""
    return ErrorOut(error=ErrorDetail(code=code, message=message, field=field)).model_dump()


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """A route's `responses=` for the errors it may answer, each with the `ErrorOut` body.
    Declaring 422 also replaces FastAPI's default 422 body, which this API never sends."""
    return {status: {"model": ErrorOut, "description": API_MEANINGS[status]} for status in statuses}


TOKEN_ERRORS = error_responses(401, 403)  # routes that need an API token
BODY_ERRORS = error_responses(
    400, 413, 422
)  # routes that read a body: unreadable, too large, invalid


def error_response(
    request: Request,
    *,
    status: int,
    message: str,
    code: str | None = None,
    field: str | None = None,
    headers: dict[str, str] | None = None,
    problems: Sequence[tuple[str | None, str]] = (),
) -> Response:
    code = code or CODES.get(status, "error")
    if not wants_html(request):
        body = error_body(code=code, message=message, field=field)
        return JSONResponse(body, status_code=status, headers=headers)
    if not hasattr(request.app.state, "templates") or not hasattr(request.app.state, "platform"):
        return PlainTextResponse(message, status_code=status, headers=headers)
    from lawful.http.templating import render

    context = {
        "title": TITLES.get(status, "Error"),
        "status": status,
        "message": message,
        "problems": problems,
    }
    response = render(request, "error.html.j2", context, status_code=status)
    response.headers.update(headers or {})
    return response


def _domain_response(request: Request, error: BaseException, status: int) -> Response:
    if isinstance(error, SignInRequiredError) and wants_html(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/admin/sign-in?next={quote(target, safe='')}", status_code=303)
    if isinstance(error, SendElsewhereError) and wants_html(request):
        return RedirectResponse(error.location, status_code=303)
    return error_response(
        request,
        status=status,
        message=getattr(error, "message", None) or str(error),
        code=getattr(error, "code", None),
        field=getattr(error, "field", None),
        headers=getattr(error, "headers", None) or None,
    )


class DomainErrorMiddleware:
    """Turns domain errors into JSON or HTML answers; an unexpected error gets a short 500
    answer (no traceback shown) and is re-raised so the server logs it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:
            if started:
                raise
            request = Request(scope)
            status = domain_status(error)
            if status is not None:
                await _domain_response(request, error, status)(scope, receive, send)
                return
            message = "An unexpected error occurred. It was logged; please try again later."
            await error_response(request, status=500, message=message)(scope, receive, send)
            raise


def _field(location: Sequence[Any]) -> str | None:
    parts = [str(part) for part in location[1:]] if len(location) > 1 else []
    return ".".join(parts) or None


async def _validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    problems = [(_field(item.get("loc", ())), str(item.get("msg", ""))) for item in error.errors()]
    message = "; ".join(f"{field}: {text}" if field else text for field, text in problems)
    field = problems[0][0] if problems else None
    return error_response(request, status=422, message=message, field=field, problems=problems)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    default = TITLES.get(error.status_code, "Error")
    message = error.detail if isinstance(error.detail, str) else default
    if error.status_code == 404 and message == "Not Found":
        message = "There is nothing at this address. Check the link, or start again."
    if error.status_code == 400 and message == _UNREADABLE_BODY:  # FastAPI's words
        message = "The body could not be read: send JSON in UTF-8 (or a multipart form)."
    headers = dict(error.headers) if error.headers else None
    return error_response(request, status=error.status_code, message=message, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_middleware(DomainErrorMiddleware)
