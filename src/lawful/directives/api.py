"""Post-mortem directives over the JSON API (scopes `directives:read`, `directives:write`):
list and read them (without the sealed identities), record one, and report a death."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from lawful.auth.models import ApiToken
from lawful.directives.models import Directive
from lawful.directives.service import (
    NewDirective,
    Person,
    get_directive,
    list_directives,
    record_directive,
    report_death,
)
from lawful.http.deps import DbSession, require_scopes, token_actor
from lawful.http.errors import BODY_ERRORS, TOKEN_ERRORS, error_responses
from lawful.requests.deps import RequestsCtx

router = APIRouter(prefix="/api/v1/directives", tags=["directives"], responses=TOKEN_ERRORS)
Reader = Annotated[ApiToken, Depends(require_scopes("directives:read"))]
Writer = Annotated[ApiToken, Depends(require_scopes("directives:write"))]


class PersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=200)
    email: str = Field(max_length=320)


class DirectiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(description="`general` or `specific` (LIL art. 85 I)")
    country: str = Field(max_length=2, description="Only FR (LIL art. 85)")
    person: PersonIn
    designee: PersonIn
    instructions: list[str] = Field(max_length=3, description="erasure, access, task")
    wording: str | None = Field(default=None, max_length=5000)


class DeathIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reporter_email: str = Field(max_length=320, description="The designated person's email")
    proof: str = Field(max_length=1000, description="The proof of death received")


class DirectiveOut(BaseModel):
    reference: str
    kind: str
    status: str
    country: str
    instructions: list[str]
    verified_at: datetime | None
    death_reported_at: datetime | None
    created_requests: list[str]

    @classmethod
    def of(cls, d: Directive) -> DirectiveOut:
        return cls(reference=d.reference, kind=d.kind.value, status=d.status.value,
                   country=d.country, instructions=list(d.instructions),
                   verified_at=d.verified_at, death_reported_at=d.death_reported_at,
                   created_requests=list(d.created_requests))  # fmt: skip


@router.get("", response_model=list[DirectiveOut], summary="Every post-mortem directive")
def list_all(db: DbSession, token: Reader) -> list[DirectiveOut]:
    return [DirectiveOut.of(d) for d in list_directives(db)]


@router.get("/{reference}", response_model=DirectiveOut, summary="One directive",
            responses=error_responses(404, 422))  # fmt: skip
def read_one(db: DbSession, token: Reader, reference: str) -> DirectiveOut:
    return DirectiveOut.of(get_directive(db, reference=reference))


@router.post("", response_model=DirectiveOut, status_code=201,
             summary="Record a person's post-mortem directives (LIL art. 85)",
             responses=BODY_ERRORS | error_responses(422))  # fmt: skip
def create(db: DbSession, ctx: RequestsCtx, token: Writer, body: DirectiveIn) -> DirectiveOut:
    new = NewDirective(kind=body.kind, country=body.country,
                       person=Person(body.person.name, body.person.email),
                       designee=Person(body.designee.name, body.designee.email),
                       instructions=body.instructions, wording=body.wording)  # fmt: skip
    return DirectiveOut.of(
        record_directive(db, keyring=ctx.keyring, new=new, actor=token_actor(token))
    )


@router.post("/{reference}/death", response_model=DirectiveOut,
             summary="The designated person reports the death: the directive is applied once",
             responses=BODY_ERRORS | error_responses(404, 409, 422))  # fmt: skip
def death(
    db: DbSession, ctx: RequestsCtx, token: Writer, reference: str, body: DeathIn
) -> DirectiveOut:
    directive = report_death(db, ctx=ctx, reference=reference, reporter_email=body.reporter_email,
                             proof=body.proof, actor=token_actor(token))  # fmt: skip
    return DirectiveOut.of(directive)
