"""The audit trail over the JSON API, for auditors' tools (scope `audit:read`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from lawful.audit.repository import audit_entries
from lawful.audit.schemas import AuditEntryOut, AuditPage, ChainCheck
from lawful.auth.models import ApiToken
from lawful.http.bounds import Offset
from lawful.http.deps import DbSession, require_scopes
from lawful.http.errors import TOKEN_ERRORS, error_responses
from lawful.store.checkpoints import verify_trail

router = APIRouter(prefix="/api/v1/audit", tags=["audit"], responses=TOKEN_ERRORS)
AuditReader = Annotated[ApiToken, Depends(require_scopes("audit:read"))]


@router.get(
    "",
    response_model=AuditPage,
    summary="Audit-trail entries, newest first",
    responses=error_responses(422),
)
def list_entries(
    db: DbSession,
    token: AuditReader,
    subject_id: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> AuditPage:
    entries, total = audit_entries(db, subject_id=subject_id, limit=limit, offset=offset)
    return AuditPage(entries=[AuditEntryOut.model_validate(e) for e in entries], total=total)


@router.get(
    "/verify",
    response_model=ChainCheck,
    summary="Check the keyed hash chain end to end, and against the last signed checkpoint",
)
def verify(db: DbSession, token: AuditReader) -> ChainCheck:
    check = verify_trail(db)
    return ChainCheck(
        intact=check.intact,
        breaks=[str(chain_break) for chain_break in check.breaks],
        kinds=sorted({chain_break.kind for chain_break in check.breaks}),
        count=check.count,
        checkpoint_count=check.checkpoint.count if check.checkpoint else None,
        checkpoint_at=check.checkpoint.at if check.checkpoint else None,
    )
