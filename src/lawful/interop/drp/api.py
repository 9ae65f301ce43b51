"""The DRP 1.0 endpoints, at the paths the spec gives (not under /api/v1): pair-wise setup
and agent information (`/v1/agent/{id}`), exercise, status and revoke
(`/v1/data-rights-request`). Signed bodies are `text/plain`; answers are JSON; errors have
the spec's shape (§3.06). The bearer token is read from the header and never logged."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from lawful.http.deps import DbSession, PlatformDep, RateLimited
from lawful.http.errors import error_responses
from lawful.http.platform import Platform
from lawful.interop.drp import agents, exercise
from lawful.interop.drp.errors import DrpError, drp_responses
from lawful.interop.drp.models import DrpAgent
from lawful.requests.context import RequestsContext

router = APIRouter(prefix="/v1", tags=["data rights protocol"], dependencies=[RateLimited])
Authorization = Annotated[str | None, Header()]
MAX_BODY = 64 * 1024
# Every route is rate-limited (429) and may see a path the app refuses (422) in the app's own
# error shape; a signed body over the app's limit is refused before it is read (413).
_APP_ERRORS = error_responses(422, 429)
_SIGNED_ERRORS = _APP_ERRORS | error_responses(413)


def business_id(platform: Platform) -> str:
    """Ours: the setting, else the organisation's trading name (or name) as [A-Z_]+."""
    if platform.settings.drp_business_id:
        return platform.settings.drp_business_id
    org = platform.datamap.organization
    return re.sub(r"[^A-Z]+", "_", (org.trading_name or org.name).upper()).strip("_")


def answer(work: Callable[[], Any]) -> Response:
    """Run `work`; a DrpError becomes the spec's error (or a bare status for pair-wise setup)."""
    try:
        return JSONResponse(work())
    except DrpError as error:
        if error.bare:
            return Response(status_code=error.status)
        return JSONResponse(error.body(), status_code=error.status)


async def signed_body(request: Request) -> bytes:
    body = await request.body()
    return body[: MAX_BODY + 1]


async def answer_off_loop(work: Callable[[], Any]) -> Response:
    """`answer`, on a worker thread: the store is never waited for on the event loop (a lock
    wait there would stall the commits of the requests that hold the lock)."""
    return await run_in_threadpool(answer, work)


def _agent(db: DbSession, platform: Platform, authorization: str | None) -> DrpAgent:
    return agents.agent_for_bearer(db, keyring=platform.keyring, authorization=authorization)


@router.post(
    "/agent/{agent_id}",
    summary="Pair-wise key setup (DRP 1.0 §2.05)",
    responses=_SIGNED_ERRORS | drp_responses(bare=(403,)),
)
async def pair(agent_id: str, request: Request, db: DbSession, platform: PlatformDep) -> Response:
    """A signed `{agent-id, business-id, issued-at, expires-at, drp.version}`: returns
    `{"agent-id", "token"}`; any failure is a 403 with no body."""
    body, ours = await signed_body(request), business_id(platform)
    return await answer_off_loop(lambda: {"agent-id": agent_id, "token": agents.pair_agent(
        db, keyring=platform.keyring, agent_id=agent_id, body=body, business_id=ours)})  # fmt: skip


@router.get(
    "/agent/{agent_id}",
    summary="Agent information (DRP 1.0 §2.06)",
    responses=_APP_ERRORS | drp_responses(403),
)
def agent_information(
    agent_id: str, db: DbSession, platform: PlatformDep, authorization: Authorization = None
) -> Response:
    """`{}` while the bearer token is valid for this agent; 403 otherwise."""

    def check() -> dict[str, Any]:
        if _agent(db, platform, authorization).id != agent_id:
            raise DrpError(403, "This token belongs to another agent.")
        return {}

    return answer(check)


@router.post(
    "/data-rights-request",
    summary="Data rights exercise (DRP 1.0 §2.01)",
    responses=_SIGNED_ERRORS | drp_responses(400, 403),
)
async def submit(
    request: Request, db: DbSession, platform: PlatformDep, authorization: Authorization = None
) -> Response:
    """A signed request (base64, `text/plain`): returns its Exercise Status object."""
    body, ours = await signed_body(request), business_id(platform)
    return await answer_off_loop(lambda: exercise.submit_exercise(
        db, ctx=platform.context(RequestsContext), agent=_agent(db, platform, authorization), body=body,
        business_id=ours))  # fmt: skip


@router.get(
    "/data-rights-request/{request_id}",
    summary="Data rights status (DRP 1.0 §2.02)",
    responses=_APP_ERRORS | drp_responses(403, 404),
)
def status(
    request_id: str, db: DbSession, platform: PlatformDep, authorization: Authorization = None
) -> Response:
    """The Exercise Status object; 403 if another agent manages the request."""
    return answer(lambda: exercise.request_status(
        db, agent=_agent(db, platform, authorization), request_id=request_id))  # fmt: skip


@router.delete(
    "/data-rights-request/{request_id}",
    summary="Data rights revoke (DRP 1.0 §2.04)",
    responses=_SIGNED_ERRORS | drp_responses(400, 403, 404, 409),
)
async def revoke(
    request_id: str,
    request: Request,
    db: DbSession,
    platform: PlatformDep,
    authorization: Authorization = None,
) -> Response:
    """A signed `{"reason": …}`: the Exercise Status object with the new `revoked` state."""
    body, ours = await signed_body(request), business_id(platform)
    return await answer_off_loop(lambda: exercise.revoke_exercise(
        db, ctx=platform.context(RequestsContext), agent=_agent(db, platform, authorization),
        request_id=request_id, body=body, business_id=ours))  # fmt: skip
