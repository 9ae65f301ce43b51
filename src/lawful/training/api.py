"""Staff training over the JSON API (scope `training:read`): where each staff member stands."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from lawful.auth.models import ApiToken
from lawful.http.deps import DbSession, PlatformDep, require_scopes
from lawful.http.errors import TOKEN_ERRORS
from lawful.store.models import utcnow
from lawful.training.service import staff_training

router = APIRouter(prefix="/api/v1/training", tags=["training"], responses=TOKEN_ERRORS)
TrainingReader = Annotated[ApiToken, Depends(require_scopes("training:read"))]


class StaffTrainingOut(BaseModel):
    staff_id: str
    name: str
    role: str
    course: str | None
    completed_on: date | None
    expires_on: date | None
    valid: bool
    required: bool  # the role must be trained to see personal data


@router.get(
    "", response_model=list[StaffTrainingOut], summary="Each staff member's latest training"
)
def training(db: DbSession, platform: PlatformDep, token: TrainingReader) -> list[StaffTrainingOut]:
    today, required = utcnow().date(), set(platform.settings.training_required_roles)
    return [
        StaffTrainingOut(
            staff_id=row.user.id,
            name=row.user.name,
            role=row.user.role.value,
            course=row.latest.course if row.latest else None,
            completed_on=row.latest.completed_on if row.latest else None,
            expires_on=row.latest.expires_on if row.latest else None,
            valid=row.valid_on(today),
            required=row.user.role.value in required,
        )
        for row in staff_training(db)
    ]
