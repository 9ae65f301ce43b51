"""Admin pages for post-mortem directives (LIL art. 85): the register, a form to record one,
and one directive with the forms to verify it and to record the death its designated person
reports (which applies it). Every staff role reads; those who handle requests act."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lawful.auth.names import actor_names
from lawful.directives.errors import DirectiveError
from lawful.directives.models import DirectiveKind, Instruction
from lawful.directives.service import (
    NewDirective,
    Person,
    get_directive,
    list_directives,
    open_directive,
    record_directive,
    report_death,
    verify_directive,
)
from lawful.http.deps import (
    CurrentStaff,
    DbSession,
    KeyringDep,
    RequestHandler,
    StaffForm,
    staff_actor,
)
from lawful.http.templating import render
from lawful.requests.deps import RequestsCtx

router = APIRouter(include_in_schema=False)


@router.get("/admin/directives", response_class=HTMLResponse)
def register(request: Request, db: DbSession, staff: CurrentStaff) -> HTMLResponse:
    context = {"active": "directives", "directives": list_directives(db)}
    return render(request, "directives/register.html.j2", context)


def _form_context(values: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    return {"active": "directives", "values": values, "errors": errors,
            "kinds": list(DirectiveKind), "instructions": list(Instruction)}  # fmt: skip


@router.get("/admin/directives/new", response_class=HTMLResponse)
def entry_form(request: Request, staff: RequestHandler) -> HTMLResponse:
    values = {"kind": "specific", "country": "FR", "instructions": ["erasure"]}
    return render(request, "directives/new.html.j2", _form_context(values, {}))


@router.post("/admin/directives/new", dependencies=[StaffForm])
def enter_directive(
    request: Request,
    db: DbSession,
    keyring: KeyringDep,
    staff: RequestHandler,
    kind: Annotated[str, Form(max_length=20)] = "",
    country: Annotated[str, Form(max_length=8)] = "",
    person_name: Annotated[str, Form(max_length=200)] = "",
    person_email: Annotated[str, Form(max_length=320)] = "",
    designee_name: Annotated[str, Form(max_length=200)] = "",
    designee_email: Annotated[str, Form(max_length=320)] = "",
    instructions: Annotated[list[str] | None, Form(max_length=3)] = None,
    wording: Annotated[str, Form(max_length=6000)] = "",
) -> Response:
    values: dict[str, Any] = dict(kind=kind, country=country, person_name=person_name,
        person_email=person_email, designee_name=designee_name, designee_email=designee_email,
        instructions=instructions or [], wording=wording)  # fmt: skip
    new = NewDirective(kind=kind, country=country, person=Person(person_name, person_email),
                       designee=Person(designee_name, designee_email),
                       instructions=instructions or [], wording=wording)  # fmt: skip
    try:
        directive = record_directive(db, keyring=keyring, new=new, actor=staff_actor(staff))
    except DirectiveError as error:
        db.rollback()
        context = _form_context(values, {error.field or "form": error.message})
        return render(request, "directives/new.html.j2", context, status_code=error.http_status)
    return RedirectResponse(f"/admin/directives/{directive.reference}", status_code=303)


@router.get("/admin/directives/{reference}", response_class=HTMLResponse)
def directive_page(
    request: Request, db: DbSession, keyring: KeyringDep, staff: CurrentStaff, reference: str
) -> HTMLResponse:
    return _detail(request, db, keyring, reference, {}, 200)


def _detail(request: Request, db: DbSession, keyring: KeyringDep, reference: str,
            errors: dict[str, str], status: int) -> HTMLResponse:  # fmt: skip
    directive = get_directive(db, reference=reference)
    actors = [
        a for a in (directive.created_by, directive.verified_by, directive.death_recorded_by) if a
    ]
    context: dict[str, Any] = {
        "active": "directives",
        "directive": directive,
        "opened": open_directive(keyring, directive),
        "actor_names": actor_names(db, actors),
        "errors": errors,
    }
    return render(request, "directives/directive.html.j2", context, status_code=status)


@router.post("/admin/directives/{reference}/verify", dependencies=[StaffForm])
def post_verify(
    request: Request,
    db: DbSession,
    keyring: KeyringDep,
    staff: RequestHandler,
    reference: str,
    how: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    try:
        verify_directive(db, reference=reference, how=how, actor=staff_actor(staff))
    except DirectiveError as error:
        db.rollback()
        return _detail(request, db, keyring, reference, {error.field or "form": error.message},
                       error.http_status)  # fmt: skip
    return RedirectResponse(f"/admin/directives/{reference.upper()}", status_code=303)


@router.post("/admin/directives/{reference}/death", dependencies=[StaffForm])
def post_death(
    request: Request,
    db: DbSession,
    ctx: RequestsCtx,
    staff: RequestHandler,
    reference: str,
    reporter_email: Annotated[str, Form(max_length=320)] = "",
    proof: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    try:
        report_death(db, ctx=ctx, reference=reference, reporter_email=reporter_email,
                     proof=proof, actor=staff_actor(staff))  # fmt: skip
    except DirectiveError as error:
        db.rollback()
        return _detail(request, db, ctx.keyring, reference,
                       {error.field or "form": error.message}, error.http_status)  # fmt: skip
    return RedirectResponse(f"/admin/directives/{reference.upper()}", status_code=303)
