"""Pages for people: the preference center reached by a personal link, receipts, and the
one-click unsubscribe of RFC 8058. Plain HTML forms: everything works without JavaScript."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lawful.consent import repository
from lawful.consent.api import receipt_response
from lawful.consent.links import LinkKind, link_url, make_link_token, read_link_token, unsubscribe
from lawful.consent.policy import policy_for
from lawful.consent.preferences import preference_view, save_preferences
from lawful.consent.service import Evidence
from lawful.consent.subjects import parse_subject
from lawful.http.deps import DbSession, PlatformDep, PublicForm, RateLimited
from lawful.http.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/privacy/banner-demo", response_class=HTMLResponse)
def banner_demo(request: Request, platform: PlatformDep) -> HTMLResponse:
    """A page that hosts the cookie banner, to try it (and the map's texts and colours)
    without writing any HTML."""
    script = f"{platform.settings.public_url.rstrip('/')}/consent/banner.js"
    return render(request, "consent/banner_demo.html.j2", {"banner_script": script})


@router.get("/privacy/preferences/{token}", dependencies=[RateLimited])
def preferences_page(
    token: str, request: Request, db: DbSession, platform: PlatformDep, saved: bool = False
) -> HTMLResponse:
    claims = read_link_token(token, keyring=platform.keyring, kind=LinkKind.preferences)
    view = preference_view(
        db, datamap=platform.datamap, keyring=platform.keyring, subject=claims.subject
    )
    return render(
        request,
        "consent/preferences.html.j2",
        {
            "title": "Your contact preferences",
            "token": token,
            "view": view,
            "saved": saved,
            "expires": claims.expires,
            "receipts": _receipts(db, platform, claims.subject),
        },
    )


def _receipts(db: DbSession, platform: PlatformDep, subject: str) -> list[dict[str, object]]:
    index = platform.keyring.index(parse_subject(subject, policy=policy_for(platform.datamap)).key)
    purposes = platform.datamap.purposes
    return [
        {
            "uid": e.uid,
            "state": e.state.value,
            "at": e.at,
            "purpose_name": purposes[e.purpose].name if e.purpose in purposes else e.purpose,
        }
        for e in repository.subject_events(db, index=index)
        if e.purpose
    ]


@router.post("/privacy/preferences/{token}", dependencies=[RateLimited, PublicForm])
def save_preferences_form(
    token: str,
    db: DbSession,
    platform: PlatformDep,
    shown: Annotated[list[str], Form()],
    on: Annotated[list[str] | None, Form()] = None,
) -> RedirectResponse:
    claims = read_link_token(token, keyring=platform.keyring, kind=LinkKind.preferences)
    save_preferences(
        db,
        datamap=platform.datamap,
        keyring=platform.keyring,
        subject=claims.subject,
        shown=shown,
        checked={k: True for k in on or []},
    )
    return RedirectResponse(f"/privacy/preferences/{token}?saved=1", status_code=303)


@router.get("/privacy/preferences/{token}/receipts/{event_id}", dependencies=[RateLimited])
def own_receipt(
    token: str,
    event_id: str,
    db: DbSession,
    platform: PlatformDep,
    format: Annotated[str, Query(pattern="^(iso27560|kantara)$")] = "iso27560",
) -> Response:
    claims = read_link_token(token, keyring=platform.keyring, kind=LinkKind.preferences)
    index = platform.keyring.index(
        parse_subject(claims.subject, policy=policy_for(platform.datamap)).key
    )
    return receipt_response(db, platform, event_id=event_id, kind=format, index=index)


@router.get("/u/{token}", dependencies=[RateLimited])
def unsubscribe_page(token: str, request: Request, platform: PlatformDep) -> HTMLResponse:
    """Opening the link only asks: mail scanners follow links (RFC 8058 §4)."""
    claims = read_link_token(token, keyring=platform.keyring, kind=LinkKind.unsubscribe)
    return _unsubscribe_page(request, platform, token, claims.subject, claims.purpose, done=False)


@router.post("/u/{token}", dependencies=[RateLimited])
def unsubscribe_now(
    token: str, request: Request, db: DbSession, platform: PlatformDep
) -> HTMLResponse:
    """RFC 8058 one-click: a POST with `List-Unsubscribe=One-Click` (or the page's button).
    No cookie or CSRF token is needed or possible: the sealed token is the authority."""
    ip = request.client.host if request.client else None
    claims = read_link_token(token, keyring=platform.keyring, kind=LinkKind.unsubscribe)
    evidence = Evidence(
        form={"one_click": True}, ip=ip, user_agent=request.headers.get("user-agent")
    )
    unsubscribe(
        db, datamap=platform.datamap, keyring=platform.keyring, token=token, evidence=evidence
    )
    return _unsubscribe_page(request, platform, token, claims.subject, claims.purpose, done=True)


def _unsubscribe_page(
    request: Request,
    platform: PlatformDep,
    token: str,
    subject: str,
    purpose: str | None,
    *,
    done: bool,
) -> HTMLResponse:
    purposes = platform.datamap.purposes
    what = f"“{purposes[purpose].name}” emails" if purpose in purposes else "marketing emails"
    person = parse_subject(subject, policy=policy_for(platform.datamap))
    preferences = make_link_token(
        keyring=platform.keyring, kind=LinkKind.preferences, subject=person
    )
    return render(
        request,
        "consent/unsubscribe.html.j2",
        {
            "title": "Unsubscribe",
            "token": token,
            "done": done,
            "what": what,
            "preferences_url": link_url(
                platform.settings.public_url, kind=LinkKind.preferences, token=preferences
            ),
        },
    )
