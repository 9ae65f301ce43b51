"""Admin pages for legal holds: the list (reason, owner, what each covers), placing one, and
releasing one with a note. Placing and releasing are legal judgments, kept to privacy
officers and administrators; everyone else reads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from lawful.auth.models import StaffUser
from lawful.auth.names import actor_names
from lawful.auth.roles import REQUEST_DECIDERS
from lawful.engine.errors import EngineError
from lawful.engine.identity import parse_identity
from lawful.http.deps import (
    CurrentStaff,
    DbSession,
    PlatformDep,
    RequestDecider,
    StaffForm,
    staff_actor,
)
from lawful.http.forms import CONTROL, CONTROL_MESSAGE
from lawful.http.platform import Platform
from lawful.http.templating import render
from lawful.retention.errors import InvalidHoldError, RetentionError
from lawful.retention.models import HoldScope
from lawful.retention.service import (
    add_legal_hold,
    list_legal_holds,
    release_legal_hold,
    view_hold,
)

router = APIRouter(include_in_schema=False)


@router.get("/admin/holds", response_class=HTMLResponse)
def holds(
    request: Request,
    db: DbSession,
    platform: PlatformDep,
    staff: CurrentStaff,
    released: Annotated[bool, Query(alias="all")] = False,
) -> HTMLResponse:
    return render(request, "retention/holds.html.j2", _context(db, platform, staff, released))


@router.post("/admin/holds", response_class=HTMLResponse, dependencies=[StaffForm])
def place_hold(
    request: Request,
    db: DbSession,
    platform: PlatformDep,
    staff: RequestDecider,
    scope: Annotated[str, Form(max_length=16)],
    reason: Annotated[str, Form(max_length=2000)] = "",
    owner: Annotated[str, Form(max_length=200)] = "",
    reference: Annotated[str, Form(max_length=200)] = "",
    email: Annotated[str, Form(max_length=320)] = "",
    identity: Annotated[str, Form(max_length=2000)] = "",
    datasets: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Place a hold; the person's records are found at the next sweep (their identity values,
    kept as blind indexes, already stop erasure). Every mistake is named beside its field."""
    errors: dict[str, str] = {}
    if not reason.strip():
        errors["reason"] = "Say why the data must be kept (the reason)."
    if not owner.strip():
        errors["owner"] = "Name who answers for the hold (the owner)."
    texts = {"reason": reason, "owner": owner, "reference": reference, "email": email,
             "identity": identity}  # fmt: skip
    for name, text in texts.items():
        if CONTROL.search(text):
            errors[name] = CONTROL_MESSAGE
    people = (
        [] if {"email", "identity"} & set(errors) else _people(email, identity, platform, errors)
    )
    if not errors:
        try:
            add_legal_hold(db, keyring=platform.keyring, datamap=platform.datamap,
                           scope=_scope(scope), reason=reason, owner=owner,
                           actor=staff_actor(staff), people=people, datasets=datasets or [],
                           reference=reference)  # fmt: skip
            return RedirectResponse("/admin/holds", status_code=303)
        except RetentionError as error:
            db.rollback()
            errors[error.field or "scope"] = error.message
    return _again(request, db, platform, staff, errors, texts | {"scope": scope,
                  "datasets": datasets or []})  # fmt: skip


def _again(
    request: Request,
    db: Session,
    platform: Platform,
    staff: StaffUser,
    errors: dict[str, str],
    form: dict[str, Any],
) -> HTMLResponse:
    """The page again, with what was typed and every mistake beside its field."""
    context = _context(db, platform, staff, False)
    context |= {"error": next(iter(errors.values())), "errors": errors, "form": form}
    return render(request, "retention/holds.html.j2", context, status_code=422)


@router.post("/admin/holds/{hold_id}/release", dependencies=[StaffForm])
def release_hold(
    db: DbSession, staff: RequestDecider, hold_id: str, note: Annotated[str, Form(max_length=2000)]
) -> RedirectResponse:
    release_legal_hold(db, hold_id=hold_id, actor=staff_actor(staff), note=note)
    return RedirectResponse("/admin/holds?all=true", status_code=303)


def _scope(value: str) -> HoldScope:
    if value not in HoldScope.__members__:
        raise InvalidHoldError(
            "Choose what the hold covers: a person, datasets or a case.", field="scope"
        )
    return HoldScope(value)


def _people(email: str, text: str, platform: Platform, errors: dict[str, str]) -> list[Any]:
    """The person held, from their email address and/or other TYPE=VALUE lines."""
    pairs = [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]
    if email.strip():
        pairs.insert(0, f"email={email.strip()}")
    if not pairs:
        return []
    try:
        return [parse_identity(pairs, datamap=platform.datamap)]
    except EngineError as error:
        wrong = "email" if email.strip() and not text.strip() else "identity"
        errors[wrong] = str(error.problems[0])
        return []


def _context(db: Session, platform: Platform, staff: StaffUser, released: bool) -> dict[str, Any]:
    found = list_legal_holds(db, include_released=released)
    actors = [a for h in found for a in (h.created_by, h.released_by)]
    return {
        "active": "holds",
        "actor_names": actor_names(db, actors),
        "holds": [view_hold(platform.keyring, h, datamap=platform.datamap) for h in found],
        "show_released": released,
        "datasets": list(platform.datamap.datasets),
        "can_decide": staff.role in REQUEST_DECIDERS,
        "error": None,
        "errors": {},
        "form": dict.fromkeys(("reason", "owner", "reference", "email", "identity"), "")
        | {"scope": "person", "datasets": []},
    }
