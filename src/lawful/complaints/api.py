"""The complaints register over the JSON API (scopes `complaints:read`, `complaints:write`):
list, read and register complaints and authority inquiries. The complainant is written sealed
and never read back over the API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from lawful.auth.models import ApiToken
from lawful.complaints.models import Complaint
from lawful.complaints.service import (
    NewComplaint,
    get_complaint,
    is_overdue,
    list_complaints,
    receive_complaint,
)
from lawful.http.deps import DbSession, KeyringDep, require_scopes, token_actor
from lawful.http.errors import BODY_ERRORS, TOKEN_ERRORS, error_responses
from lawful.store.models import utcnow

router = APIRouter(prefix="/api/v1/complaints", tags=["complaints"], responses=TOKEN_ERRORS)
Reader = Annotated[ApiToken, Depends(require_scopes("complaints:read"))]
Writer = Annotated[ApiToken, Depends(require_scopes("complaints:write"))]


class ComplaintIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str = Field(max_length=200, description="What it is about, without naming anyone")
    source: str = Field(description="`authority` or `person`")
    authority: str | None = Field(default=None, max_length=20, description="e.g. CNIL, HDPA")
    authority_reference: str | None = Field(default=None, max_length=100)
    received_at: datetime | None = None
    deadline: date | None = Field(default=None, description="As set by the authority")
    complainant: str | None = Field(default=None, max_length=600, description="Stored sealed")
    linked_requests: list[str] = Field(default_factory=list, max_length=50)


class ComplaintOut(BaseModel):
    reference: str
    subject: str
    source: str
    authority: str | None
    authority_reference: str | None
    received_at: datetime
    deadline: date
    deadline_basis: str
    status: str
    overdue: bool
    outcome: str | None
    linked_requests: list[str]

    @classmethod
    def of(cls, complaint: Complaint, *, today: date) -> ComplaintOut:
        return cls(
            reference=complaint.reference, subject=complaint.subject,
            source=complaint.source.value, authority=complaint.authority,
            authority_reference=complaint.authority_reference,
            received_at=complaint.received_at, deadline=complaint.deadline,
            deadline_basis=complaint.deadline_basis, status=complaint.status.value,
            overdue=is_overdue(complaint, today=today), outcome=complaint.outcome,
            linked_requests=list(complaint.linked_requests),
        )  # fmt: skip


@router.get("", response_model=list[ComplaintOut], summary="Every complaint and inquiry")
def list_all(db: DbSession, token: Reader) -> list[ComplaintOut]:
    today = utcnow().date()
    return [ComplaintOut.of(c, today=today) for c in list_complaints(db)]


@router.get(
    "/{reference}",
    response_model=ComplaintOut,
    summary="One complaint or inquiry",
    responses=error_responses(404, 422),
)
def read_one(db: DbSession, token: Reader, reference: str) -> ComplaintOut:
    return ComplaintOut.of(get_complaint(db, reference=reference), today=utcnow().date())


@router.post(
    "",
    response_model=ComplaintOut,
    status_code=201,
    summary="Register a complaint (GDPR Art. 77) or an authority's inquiry (Art. 58(1))",
    responses=BODY_ERRORS | error_responses(422),
)
def create(db: DbSession, keyring: KeyringDep, token: Writer, body: ComplaintIn) -> ComplaintOut:
    new = NewComplaint(**body.model_dump())
    complaint = receive_complaint(db, keyring=keyring, new=new, actor=token_actor(token))
    return ComplaintOut.of(complaint, today=utcnow().date())
