"""Mail to the person is queued as a job that runs after the commit; anything secret in it
(a code) travels sealed with the keyring, so a job broker never sees it in clear."""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy.orm import Session

from lawful.requests.context import RequestsContext
from lawful.requests.hooks import request_changed
from lawful.requests.models import RightsRequest
from lawful.store.tasks import defer_job

MAIL_JOB = "requests.mail"
EXECUTE_JOB = "requests.execute"
MATCH_JOB = "requests.match_data_points"
SEALED_CONTEXT = "requests.job"


def queue_mail(
    session: Session,
    *,
    ctx: RequestsContext,
    request: RightsRequest,
    kind: str,
    secret: dict[str, Any] | None = None,
) -> None:
    """Queue a mail to the person; anything secret (a code, a token) travels sealed."""
    payload: dict[str, Any] = {"request_id": request.id, "mail": kind}
    if secret:
        sealed = ctx.keyring.encrypt_json(secret, context=SEALED_CONTEXT)
        payload["sealed"] = base64.b64encode(sealed).decode("ascii")
    defer_job(session, queue=ctx.jobs, kind=MAIL_JOB, payload=payload)
    request_changed(session, ctx=ctx, request=request)


def open_sealed(ctx: RequestsContext, payload: dict[str, Any]) -> dict[str, Any]:
    """The secret part of a job payload, opened by the job that sends the mail."""
    sealed = payload.get("sealed")
    if not sealed:
        return {}
    opened: dict[str, Any] = ctx.keyring.decrypt_json(
        base64.b64decode(sealed), context=SEALED_CONTEXT
    )
    return opened
