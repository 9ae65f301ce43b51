"""The example company's registers for `lawful demo` (`registers.yaml` beside its map): the
DPIA its map names, its processors' agreements, and training for every demo staff member.
Each goes through its register's own service, so the demo's audit trail shows them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from lawful.auth.repository import all_users
from lawful.datamap.models import DataMap
from lawful.dpia.models import DpiaState
from lawful.dpia.service import open_dpia, update_dpia
from lawful.processors.models import Authorisation
from lawful.processors.service import record_agreement
from lawful.training.service import record_training

REGISTERS_FILE = "registers.yaml"
ACTOR = "demo"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DemoDpia(_Strict):
    reference: str
    purpose: str
    summary: str
    review_on: date
    approve: bool = False


class DemoAgreement(_Strict):
    signed_on: date
    authorisation: Authorisation
    safeguards: str | None = None
    review_on: date | None = None


class DemoTraining(_Strict):
    course: str
    completed_on: date
    expires_on: date


class DemoRegisters(_Strict):
    dpias: list[DemoDpia] = []
    agreements: dict[str, DemoAgreement] = {}
    training: DemoTraining | None = None


def read_registers(path: Path) -> DemoRegisters:
    return DemoRegisters.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})


def seed_registers(session: Session, *, datamap: DataMap, registers: DemoRegisters) -> None:
    for dpia in registers.dpias:
        open_dpia(session, datamap=datamap, purpose=dpia.purpose, actor=ACTOR,
                  reference=dpia.reference, review_on=dpia.review_on)  # fmt: skip
        update_dpia(session, reference=dpia.reference, actor=ACTOR, summary=dpia.summary,
                    state=DpiaState.approved if dpia.approve else DpiaState.started)  # fmt: skip
    for recipient, agreement in registers.agreements.items():
        record_agreement(session, datamap=datamap, recipient=recipient, actor=ACTOR,
                         signed_on=agreement.signed_on, authorisation=agreement.authorisation,
                         safeguards=agreement.safeguards, review_on=agreement.review_on)  # fmt: skip
    if registers.training is not None:
        course = registers.training
        for user in all_users(session):
            record_training(session, user=user, course=course.course, actor=ACTOR,
                            completed_on=course.completed_on, expires_on=course.expires_on)  # fmt: skip
