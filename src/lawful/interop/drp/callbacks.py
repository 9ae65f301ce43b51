"""Status callbacks (DRP 1.0 §2.03): whenever one of an agent's requests changes (its state,
its `expected_by`), the new Exercise Status object is POSTed to the request's
`status_callback`, as a durable task retried with back-off until the agent answers 2xx."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy.orm import Session

from lawful.interop.drp import repository
from lawful.interop.drp.status import exercise_status
from lawful.requests.context import RequestsContext
from lawful.requests.models import RightsRequest
from lawful.store.tasks import Payload, RetryLaterError, defer_job

if TYPE_CHECKING:
    from lawful.requests.tasks import RequestsRuntime

logger = logging.getLogger(__name__)
CALLBACK_JOB = "drp.status_callback"
TIMEOUT_SECONDS = 10


def request_changed(session: Session, *, ctx: RequestsContext, request: RightsRequest) -> None:
    """A `lawful.requests.hooks` hook: queue a callback if an agent's request looks different
    to the agent now (the state, reason or deadline it last heard of)."""
    drp = repository.for_rights_request(session, rights_request_id=request.id)
    if drp is None or drp.status_callback is None:
        return
    status = exercise_status(drp, request)
    if status == drp.last_status:
        return
    drp.last_status = status
    payload = {"request_id": request.id, "drp_request_id": drp.id, "status": status}
    defer_job(session, queue=ctx.jobs, kind=CALLBACK_JOB, payload=payload)


def job_bodies(runtime: RequestsRuntime) -> dict[str, Callable[[Payload], None]]:
    """The DRP's job kinds, for the worker's handler (`lawful.worker.jobs`)."""
    return {CALLBACK_JOB: lambda payload: send_callback(runtime, payload)}


def send_callback(runtime: RequestsRuntime, payload: Payload) -> None:
    with runtime.sessions() as session:
        drp = repository.get_request(session, request_id=str(payload["drp_request_id"]))
        url = drp.status_callback if drp else None
    if not url:
        return  # the agent was removed, or its request purged
    status: dict[str, Any] = payload["status"]
    try:
        with runtime.http() as client:
            answer = client.post(url, json=status, timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError as error:
        raise RetryLaterError(
            f"the agent's status callback failed: {type(error).__name__}"
        ) from None
    if not answer.is_success:  # DRP 1.0 §2.03.1: a 200 is expected; the body is discarded
        raise RetryLaterError(f"the agent's status callback answered {answer.status_code}")
    logger.info("drp status callback delivered: %s", status["status"])
