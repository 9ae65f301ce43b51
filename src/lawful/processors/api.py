"""The processor register over the JSON API (scope `processors:read`): each processor of the
map with its agreement, its changes of sub-processor and whether each client was told."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from lawful.auth.models import ApiToken
from lawful.http.deps import DataMapDep, DbSession, require_scopes
from lawful.http.errors import TOKEN_ERRORS
from lawful.processors import repository
from lawful.processors.schemas import AgreementOut, ChangeOut, NoticeOut, ProcessorOut
from lawful.processors.service import register

router = APIRouter(prefix="/api/v1/processors", tags=["processors"], responses=TOKEN_ERRORS)
ProcessorReader = Annotated[ApiToken, Depends(require_scopes("processors:read"))]


@router.get(
    "",
    response_model=list[ProcessorOut],
    summary="Processors, agreements and sub-processor changes",
)
def processors(db: DbSession, datamap: DataMapDep, token: ProcessorReader) -> list[ProcessorOut]:
    changes = repository.changes(db)
    answer = []
    for row in register(db, datamap=datamap):
        a = row.agreement
        agreement = AgreementOut(signed_on=a.signed_on, authorisation=a.authorisation.value,
                                 safeguards=a.safeguards, review_on=a.review_on) if a else None  # fmt: skip
        mine = [ChangeOut(kind=c.kind.value, effective_on=c.effective_on,
                          notices=[NoticeOut(client=n.client, sent_at=n.sent_at) for n in c.notices])
                for c in changes if c.recipient == row.recipient]  # fmt: skip
        answer.append(ProcessorOut(recipient=row.recipient, name=row.declared.name, role=row.declared.role.value,
                                   country=row.declared.country, clients=row.clients, agreement=agreement,
                                   changes=mine))  # fmt: skip
    return answer
