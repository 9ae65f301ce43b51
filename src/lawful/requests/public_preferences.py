"""The privacy center's way into the preference center: an email address, a code by mail,
then the person's preferences (`lawful.requests.preference_access`). Same answer whether or
not the address is known; limited per address and per try."""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Cookie, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lawful.consent.links import LinkKind, issue_link
from lawful.http.deps import DbSession, PlatformDep, PublicForm, RateLimited
from lawful.http.templating import render
from lawful.requests.deps import RequestsCtx
from lawful.requests.errors import InvalidInputError
from lawful.requests.mail import MailError, mailer_from_settings, render_mail
from lawful.requests.preference_access import ask_preferences_code, check_preferences_code
from lawful.requests.verification import CODE_LIFETIME
from lawful.store.models import utcnow

logger = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
PAGE = "/privacy/contact-preferences"
COOKIE = "lawful_preferences_code"  # names the code asked for in this browser, not the person
MINUTES = int(CODE_LIFETIME.total_seconds() // 60)


@router.get(PAGE, response_class=HTMLResponse)
def ask_page(request: Request) -> HTMLResponse:
    return render(request, "privacy/preferences_ask.html.j2", {"errors": {}, "email": ""})


@router.post(PAGE, dependencies=[RateLimited, PublicForm])
def ask(
    request: Request,
    db: DbSession,
    ctx: RequestsCtx,
    platform: PlatformDep,
    email: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    """Mail a code (when the address has codes left this hour); the same answer either way."""
    if not email.strip():
        errors = {"email": "Enter your email address: we send the code there."}
        context = {"errors": errors, "email": email}
        return render(request, "privacy/preferences_ask.html.j2", context, status_code=422)
    try:
        asked = ask_preferences_code(db, keyring=ctx.keyring, email=email, now=utcnow())
    except InvalidInputError as error:
        context = {"errors": {"email": error.message}, "email": email}
        return render(request, "privacy/preferences_ask.html.j2", context, status_code=422)
    db.commit()  # the code exists before it is mailed
    if asked.code is not None:
        _mail_code(platform, ctx, asked.email, asked.code)
    answer = RedirectResponse(f"{PAGE}/code", status_code=303)
    answer.set_cookie(COOKIE, asked.challenge, max_age=MINUTES * 60, path=PAGE,
                      httponly=True, samesite="lax", secure=request.url.scheme == "https")  # fmt: skip
    return answer


def _mail_code(platform: PlatformDep, ctx: RequestsCtx, email: str, code: str) -> None:
    org = ctx.datamap.organization
    facts = {"organisation": org.trading_name or org.name, "code": code,
             "code_minutes": MINUTES, "page": f"{ctx.policy.public_url}{PAGE}"}  # fmt: skip
    try:
        mailer = mailer_from_settings(platform.settings, datamap=ctx.datamap)
        mailer.send(render_mail("preferences_code", to=email, context=facts))
    except MailError as error:  # the person is told the same; staff see the log
        logger.warning("preferences code mail not sent: %s", type(error).__name__)


@router.get(f"{PAGE}/code", response_class=HTMLResponse)
def code_page(request: Request) -> HTMLResponse:
    return render(request, "privacy/preferences_code.html.j2", {"error": None})


@router.post(f"{PAGE}/code", dependencies=[RateLimited, PublicForm])
def enter_code(
    request: Request,
    db: DbSession,
    ctx: RequestsCtx,
    code: Annotated[str, Form(max_length=20)] = "",
    challenge: Annotated[str | None, Cookie(alias=COOKIE, max_length=64)] = None,
) -> Response:
    """The right code opens the preference center; a wrong one says how many tries are left."""
    if not challenge:
        error = "This browser has no code waiting: ask for one below (allow cookies)."
        return render(
            request, "privacy/preferences_code.html.j2", {"error": error}, status_code=400
        )
    checked = check_preferences_code(db, keyring=ctx.keyring, challenge=challenge,
                                     code=code, now=utcnow())  # fmt: skip
    if checked.subject is None:
        context = {"error": checked.error}
        return render(request, "privacy/preferences_code.html.j2", context, status_code=400)
    link = issue_link(datamap=ctx.datamap, keyring=ctx.keyring, public_url=ctx.policy.public_url,
                      kind=LinkKind.preferences, subject=checked.subject)  # fmt: skip
    answer = RedirectResponse(urlsplit(link).path, status_code=303)
    answer.delete_cookie(COOKIE, path=PAGE)
    return answer
