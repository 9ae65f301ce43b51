"""The processor API's response bodies."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


class AgreementOut(BaseModel):
    signed_on: date
    authorisation: str
    safeguards: str | None
    review_on: date | None


class NoticeOut(BaseModel):
    client: str
    sent_at: datetime | None


class ChangeOut(BaseModel):
    kind: str
    effective_on: date
    notices: list[NoticeOut]


class ProcessorOut(BaseModel):
    recipient: str
    name: str
    role: str
    country: str
    clients: list[str]
    agreement: AgreementOut | None
    changes: list[ChangeOut]
