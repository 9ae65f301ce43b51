"""Delivery of an access or portability package.

To download, the person asks for a fresh code (mailed to the verified address), enters it
in this browser, and gets a link that works once, for a few minutes, in this browser only
(`lawful.requests.delivery`). The ZIP is decrypted only as it is sent.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lawful.http.deps import BrowserSession, DbSession, PublicForm, RateLimited
from lawful.http.templating import render
from lawful.requests.delivery import confirm_download_code, open_download, send_download_code
from lawful.requests.deps import RequestsCtx
from lawful.requests.errors import DownloadRefusedError
from lawful.requests.models import RightsRequest
from lawful.requests.public import FormToken, Token
from lawful.requests.service import request_for_person

router = APIRouter(include_in_schema=False)


def download_url(reference: str, token: str) -> str:
    return f"/privacy/requests/{reference}/download?token={token}"


def _page(found: RightsRequest, token: str, **extra: Any) -> dict[str, Any]:
    return {"found": found, "token": token, "error": None, "sent": False} | extra


@router.post("/privacy/requests/{reference}/download-code", dependencies=[RateLimited, PublicForm])
def ask_download_code(
    db: DbSession, ctx: RequestsCtx, reference: str, token: FormToken
) -> Response:
    """Mail a fresh code to the verified address."""
    found = request_for_person(db, ctx=ctx, reference=reference, status_token=token)
    send_download_code(db, ctx=ctx, reference=found.reference)
    return RedirectResponse(download_url(found.reference, token) + "&sent=1", status_code=303)


@router.get(
    "/privacy/requests/{reference}/download",
    response_class=HTMLResponse,
    dependencies=[RateLimited],
)
def download_page(
    request: Request,
    db: DbSession,
    ctx: RequestsCtx,
    reference: str,
    token: Token,
    sent: bool = False,
) -> HTMLResponse:
    found = request_for_person(db, ctx=ctx, reference=reference, status_token=token)
    return render(request, "privacy/download.html.j2", _page(found, token, sent=sent))


@router.post("/privacy/requests/{reference}/download", dependencies=[RateLimited, PublicForm])
def enter_download_code(
    request: Request,
    db: DbSession,
    ctx: RequestsCtx,
    browser: BrowserSession,
    reference: str,
    token: FormToken,
    code: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Check the code; a right one gives a single-use link bound to this browser."""
    found = request_for_person(db, ctx=ctx, reference=reference, status_token=token)
    if browser is None:
        raise DownloadRefusedError("Your browser did not keep our cookie: allow it and retry.")
    outcome = confirm_download_code(
        db, ctx=ctx, reference=found.reference, code=code.strip(), browser_session=browser
    )
    if outcome.token is None:
        error = outcome.code.error
        message = error.message if error else "That code is not right."
        status = error.http_status if error else 400
        context = _page(found, token, error=message)
        return render(request, "privacy/download.html.j2", context, status_code=status)
    return RedirectResponse(f"/privacy/downloads/{outcome.token}", status_code=303)


@router.get("/privacy/downloads/{link}", dependencies=[RateLimited])
def download(db: DbSession, ctx: RequestsCtx, browser: BrowserSession, link: str) -> Response:
    """The package, decrypted, once; refused from another browser, after expiry or use."""
    if browser is None:
        raise DownloadRefusedError(
            "This link works only in the browser where the code was entered."
        )
    package = open_download(db, ctx=ctx, token=link, browser_session=browser)
    disposition = f'attachment; filename="{_safe_name(package.file_name)}"'
    return Response(
        package.content,
        media_type=package.content_type,
        headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"},
    )


def _safe_name(name: str) -> str:
    kept = "".join(c for c in name if c.isalnum() or c in "._-")
    return kept or "package.zip"
