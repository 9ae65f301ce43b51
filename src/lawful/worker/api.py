"""The installation's status over the JSON API, for monitoring (scope `status:read`): the
same checks as `lawful status` — store, broker, workers, jobs, each datastore of the map."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from lawful.auth.models import ApiToken
from lawful.http.deps import PlatformDep, require_scopes
from lawful.http.errors import TOKEN_ERRORS
from lawful.worker.schemas import StatusOut
from lawful.worker.status import collect_status

router = APIRouter(prefix="/api/v1", tags=["system"])
StatusReader = Annotated[ApiToken, Depends(require_scopes("status:read"))]


@router.get(
    "/status",
    response_model=StatusOut,
    summary="The installation's health, component by component",
    responses={
        503: {"model": StatusOut, "description": "A component is not ok"},
        **TOKEN_ERRORS,
    },
)
def status(platform: PlatformDep, token: StatusReader) -> StatusOut | JSONResponse:
    """200 when every component is ok; 503, with the same body, when one is not (a datastore
    unreachable, jobs failed, no worker alive, the store not upgraded…)."""
    report = collect_status(settings=platform.settings, sessions=platform.sessions,
                            datamap=platform.datamap, connectors=platform.connectors)  # fmt: skip
    body = StatusOut.model_validate(report.as_json())
    if not report.ok:
        return JSONResponse(body.model_dump(mode="json"), status_code=503)
    return body
