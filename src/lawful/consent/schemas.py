"""Shapes of the consent API's requests and answers (Pydantic, at the HTTP edge only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from lawful.consent.models import ConsentState


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EventRef(BaseModel):
    id: str = Field(description="The ledger event's record id (also the receipt id)")
    state: str
    at: datetime


class CheckIn(Strict):
    """Whom to check, in the body: an address would carry the person into access logs."""

    subject: str = Field(description="TYPE:VALUE, e.g. email:ann@example.org", max_length=400)
    purpose: str = Field(description="A purpose of the map, e.g. newsletter", max_length=100)
    channel: str = Field(description="email, sms, phone or post", max_length=16)


class HistoryIn(Strict):
    subject: str = Field(description="TYPE:VALUE, e.g. email:ann@example.org", max_length=400)


class CheckAnswer(BaseModel):
    allowed: bool
    reason: str = Field(description="A stable code: consent_given, legal_basis, withdrawn, ...")
    message: str = Field(description="The reason in words")
    event: EventRef | None = Field(description="The ledger event that decided, if one did")


class EvidenceIn(Strict):
    form: dict[str, Any] | None = Field(
        default=None, description="What the person saw and ticked: labels, texts, values"
    )
    ip: str | None = Field(default=None, description="Cut to its /24 (IPv4) or /48 (IPv6)")
    user_agent: str | None = None


class ConsentEventIn(Strict):
    """A choice recorded by staff or by a system holding an API token (`consent:write`)."""

    subject: str = Field(description="TYPE:VALUE, e.g. email:ann@example.org", max_length=400)
    state: ConsentState
    purposes: list[str] = Field(default_factory=list, max_length=50)
    channel: str = Field(
        description="Where it was collected: web_form, email, phone, paper, api, cookie_banner"
    )
    method: str = Field(default="api", description="How: checkbox, verbal, signature, ...")
    contact_channel: str | None = Field(
        default=None, description="For a preference about a channel: email, sms, phone, post"
    )
    language: str | None = None
    at: datetime | None = Field(
        default=None,
        description="When it happened, from 1970 on, with its time zone (default: now)",
    )
    evidence: EvidenceIn | None = None


class BannerChoiceIn(Strict):
    """What the cookie banner sends (no token: the browser is known by its random id)."""

    browser_id: str = Field(max_length=64)
    choices: dict[str, StrictBool] = Field(max_length=8)
    action: str = Field(max_length=16)
    gpc: StrictBool = False
    config_version: str | None = Field(default=None, max_length=32)
    language: str | None = Field(default=None, max_length=16)


class RecordedAnswer(BaseModel):
    events: list[EventRef]
    choices: dict[str, bool] | None = Field(
        default=None, description="For a banner choice: what applies after GPC"
    )


class ObjectionIn(Strict):
    subject: str = Field(max_length=400)
    channel: str = "api"
    purposes: list[str] | None = Field(
        default=None,
        max_length=50,
        description="Art. 21(1): the purposes on legitimate interests or a public task the "
        "person objects to; left out, an objection to all direct marketing (Art. 21(2)–(3))",
    )


class FilterIn(Strict):
    purpose: str
    channel: str
    contacts: list[dict[str, Any]] = Field(
        description='Contacts, each with identities such as {"email": "...", "phone": "..."}; '
        "other keys are returned untouched"
    )


class FilterAnswer(BaseModel):
    total: int
    allowed_count: int
    excluded: dict[str, int] = Field(description="Reason code → number of contacts left out")
    allowed: list[dict[str, Any]]


class LinkIn(Strict):
    subject: str = Field(max_length=400)
    kind: Literal["preferences", "unsubscribe"] = "preferences"
    channel: str | None = None
    purpose: str | None = None


class LinkAnswer(BaseModel):
    url: str
    headers: dict[str, str] = Field(
        description="For unsubscribe links: List-Unsubscribe and List-Unsubscribe-Post "
        "(RFC 8058) to add to the email"
    )


class NoticeIn(Strict):
    material: StrictBool
    version: str | None = Field(default=None, description="Default: the map's notice version")
    purposes: list[str] | None = Field(
        default=None, description="Consent-based purposes a material change affects (default: all)"
    )
    summary: str | None = Field(default=None, max_length=2000)
    grace_days: int = Field(
        default=0, ge=0, le=366, description="Days old consents still count after a material change"
    )


class NoticeOut(BaseModel):
    version: str
    language: str
    sha256: str
    material: bool
    summary: str | None
    published_at: datetime
    published_by: str
    purposes: list[str]


class ReconsentOut(BaseModel):
    subject: str
    purpose: str
    given_at: datetime
    notice_version: str | None
    event_id: str
    changed_at: datetime


class HistoryEvent(BaseModel):
    id: str
    purpose: str | None
    contact_channel: str | None
    cookie_category: str | None
    state: str
    channel: str
    method: str
    notice_version: str | None
    at: datetime
    expires_at: datetime | None
