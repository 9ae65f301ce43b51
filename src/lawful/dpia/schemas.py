"""The DPIA API's response bodies."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict


class DpiaOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    reference: str
    purpose: str
    criteria: list[str]
    state: str
    review_on: date | None
    approved_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ScreeningOut(BaseModel):
    purpose: str
    criteria: list[str]
    required: bool
    reference: str | None  # the DPIA that assesses it, if any
    missing: bool  # required and none in the register


class DpiaRegister(BaseModel):
    dpias: list[DpiaOut]
    screenings: list[ScreeningOut]
