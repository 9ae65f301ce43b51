"""The DPIA register over the JSON API (scope `dpia:read`): every DPIA, and each purpose's
screening with the DPIA that covers it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from lawful.auth.models import ApiToken
from lawful.dpia.schemas import DpiaOut, DpiaRegister, ScreeningOut
from lawful.dpia.service import get_dpia, list_dpias, screen_purposes
from lawful.http.deps import DataMapDep, DbSession, require_scopes
from lawful.http.errors import TOKEN_ERRORS, error_responses

router = APIRouter(prefix="/api/v1/dpia", tags=["dpia"], responses=TOKEN_ERRORS)
DpiaReader = Annotated[ApiToken, Depends(require_scopes("dpia:read"))]


@router.get(
    "", response_model=DpiaRegister, summary="The DPIA register and each purpose's screening"
)
def register(db: DbSession, datamap: DataMapDep, token: DpiaReader) -> DpiaRegister:
    screenings = [
        ScreeningOut(
            purpose=row.purpose,
            criteria=[c.value for c in row.screening.criteria],
            required=row.screening.required,
            reference=row.dpia.reference if row.dpia else row.reference,
            missing=row.missing,
        )
        for row in screen_purposes(db, datamap=datamap)
    ]
    dpias = [DpiaOut.model_validate(d) for d in list_dpias(db)]
    return DpiaRegister(dpias=dpias, screenings=screenings)


@router.get(
    "/{reference}", response_model=DpiaOut, summary="One DPIA", responses=error_responses(404, 422)
)
def one(db: DbSession, token: DpiaReader, reference: str) -> DpiaOut:
    return DpiaOut.model_validate(get_dpia(db, reference=reference))
