"""Pydantic models of the JSON API for rights requests (`api.py`): the HTTP edge only."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool

from lawful.requests.views import DetailFacts, PersonStatus, RequestDetail, RequestSummary


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IntakeIn(In):
    type: str = Field(
        max_length=40, description="Request type, e.g. access, erasure, opt_out_sale_sharing"
    )
    email: str = Field(max_length=320, description="Where codes and answers are sent")
    country: str = Field(max_length=8, description="ISO 3166-1 code of where the person lives")
    region: str | None = Field(default=None, max_length=8, description='US state, e.g. "CA"')
    phone: str | None = Field(default=None, max_length=40)
    name: str | None = Field(default=None, max_length=200)
    address: str | None = Field(default=None, max_length=500)
    identifiers: dict[str, str] = Field(
        default_factory=dict,
        description="Other identity values the organisation uses, e.g. customer_id",
    )
    message: str | None = Field(default=None, max_length=5000)
    corrections: dict[str, str] = Field(
        default_factory=dict,
        description="Rectification: DATASET.FIELD or CATEGORY → the right value",
    )
    purpose: str | None = Field(
        default=None, max_length=64, description="Objection / withdrawal: the purpose"
    )


class SubmittedOut(BaseModel):
    reference: str
    status_token: str = Field(description="Keep it: it is needed to follow or cancel the request")
    status: str
    respond_by: date
    verification: str


class CodeIn(In):
    token: str = Field(
        min_length=1,
        max_length=100,
        description="The status token given at intake: without it, anyone who knows the "
        "reference could lock the code",
    )
    code: str = Field(min_length=1, max_length=12)


class TokenIn(In):
    token: str = Field(min_length=1, max_length=100)


class StatusOut(BaseModel):
    reference: str
    status: str


class PersonStatusOut(BaseModel):
    reference: str
    type: str
    title: str
    status: str
    received_on: date
    respond_by: date
    extensions: list[dict[str, Any]]
    denial: dict[str, str] | None
    package_available_until: date | None
    timeline: list[dict[str, Any]]

    @classmethod
    def of(cls, view: PersonStatus) -> PersonStatusOut:
        return cls(
            reference=view.reference,
            type=view.request_type.value,
            title=view.type_title,
            status=view.status.value,
            received_on=view.received_on,
            respond_by=view.respond_by,
            extensions=view.extensions,
            denial=view.denial,
            package_available_until=view.package_until,
            timeline=[{"at": at, "action": action} for at, action in view.timeline],
        )


class SummaryOut(BaseModel):
    reference: str
    type: str
    status: str
    channel: str
    received_at: datetime
    respond_by: date
    deadline: str | None = Field(description="due, due_soon, overdue or extended; null once closed")
    extended: bool
    jurisdiction: str | None
    verification: str

    @classmethod
    def of(cls, item: RequestSummary) -> SummaryOut:
        return cls(
            reference=item.reference,
            type=item.request_type.value,
            status=item.status.value,
            channel=item.channel,
            received_at=item.received_at,
            respond_by=item.respond_by,
            deadline=item.deadline.value if item.deadline else None,
            extended=item.extended,
            jurisdiction=item.jurisdiction,
            verification=item.verification,
        )


class PageOut(BaseModel):
    items: list[SummaryOut]
    total: int
    limit: int
    offset: int


class EventOut(BaseModel):
    at: datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str | None
    details: dict[str, Any]


class PersonOut(BaseModel):
    email: str
    phone: str | None
    name: str | None
    address: str | None
    identifiers: dict[str, str]


class DetailOut(DetailFacts, SummaryOut):
    """One request for staff: its summary, then its facts as the view declares them."""

    person: PersonOut
    timeline: list[EventOut]

    @classmethod
    def of_detail(cls, detail: RequestDetail) -> DetailOut:
        facts = {name: getattr(detail, name) for name in DetailFacts.model_fields}
        return cls(
            **SummaryOut.of(detail.summary).model_dump(),
            **facts,
            person=PersonOut(**asdict(detail.person)),
            timeline=[EventOut(**asdict(e)) for e in detail.timeline],
        )


class DenyIn(In):
    reason: str = Field(max_length=40, description="A reason from `denial_reasons` of the request")
    note: str = Field(default="", max_length=2000, description="Told to the person with the reason")


class ExtendIn(In):
    amount: int = Field(
        ge=1, le=90, description="Months under the GDPR, calendar days under the CCPA"
    )
    reason: str = Field(max_length=2000, description="Why more time is needed; told to the person")


class ConfirmIn(In):
    how: str = Field(default="checked by staff", max_length=200)


class CompleteIn(In):
    partial: StrictBool = False
    note: str = Field(default="", max_length=2000)


class ForwardIn(In):
    """A forward staff sent themselves (a client's portal, a letter, a call)."""

    channel: str = Field(
        min_length=1, max_length=40, description="How it was sent, e.g. portal, post, email"
    )
    sent: str = Field(
        min_length=1, max_length=2000, description="What was sent (kept for staff only)"
    )
    sent_at: AwareDatetime = Field(description="When it was sent, with its time zone")
