"""The console page of OpenDSR, for administrators: the tokens of the clients' systems (make
one — shown once —, revoke one; each audited) and the latest requests clients sent (ids,
types, states; never an identity)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from lawful.http.deps import Administrator, DbSession, PlatformDep, StaffForm, staff_actor
from lawful.http.platform import Platform
from lawful.http.templating import render
from lawful.interop.opendsr.credentials import (
    CredentialError,
    issue_credential,
    list_credentials,
    revoke_credential,
)
from lawful.interop.opendsr.models import OpenDsrRequest

router = APIRouter(include_in_schema=False)
PAGE = "interop/opendsr.html.j2"
LATEST = 50


@router.get("/admin/opendsr", response_class=HTMLResponse)
def opendsr(
    request: Request, db: DbSession, platform: PlatformDep, staff: Administrator
) -> HTMLResponse:
    return render(request, PAGE, _context(db, platform))


@router.post("/admin/opendsr", response_class=HTMLResponse, dependencies=[StaffForm])
def issue(
    request: Request,
    db: DbSession,
    platform: PlatformDep,
    staff: Administrator,
    client: Annotated[str, Form(max_length=100)] = "",
    label: Annotated[str, Form(max_length=100)] = "",
) -> HTMLResponse:
    """Make a token for a client's system; shown on this page once."""
    try:
        new = issue_credential(db, keyring=platform.keyring, datamap=platform.datamap,
                               client=client, label=label, actor=staff_actor(staff))  # fmt: skip
    except CredentialError as error:
        context = _context(db, platform) | {"error": str(error)}
        return render(request, PAGE, context, status_code=422)
    db.commit()
    return render(request, PAGE, _context(db, platform) | {"new": new}, status_code=201)


@router.post("/admin/opendsr/{prefix}/revoke", dependencies=[StaffForm])
def revoke(db: DbSession, staff: Administrator, prefix: str) -> RedirectResponse:
    try:
        revoke_credential(db, prefix=prefix, actor=staff_actor(staff))
    except CredentialError:
        return RedirectResponse("/admin/opendsr", status_code=303)  # already gone
    db.commit()
    return RedirectResponse("/admin/opendsr", status_code=303)


def _context(db: Session, platform: Platform) -> dict[str, Any]:
    latest = select(OpenDsrRequest).order_by(OpenDsrRequest.received_time.desc()).limit(LATEST)
    return {
        "active": "opendsr",
        "clients": platform.datamap.clients,
        "credentials": list_credentials(db),
        "requests": db.scalars(latest).all(),
        "new": None,
        "error": None,
    }
