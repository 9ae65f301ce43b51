"""Following a request we sent to a processor: its signed callbacks (checked as the security
guidelines say, answered 202, 401 or 400) and, in case none comes, polling its status as a
durable task retried with back-off until the processor says `completed`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import httpx
from sqlalchemy.orm import Session

from lawful.datamap.outbound import RecipientOpenDsr
from lawful.interop.opendsr.controller import PREFIX, processor_answered, processors, status_from
from lawful.interop.opendsr.models import OpenDsrOutgoing
from lawful.interop.opendsr.signing import DOMAIN, LEGACY_DOMAIN
from lawful.interop.opendsr.trust import TrustError, check_signed
from lawful.requests.context import RequestsContext
from lawful.requests.models import ForwardStatus
from lawful.requests.repository import by_id, forwards
from lawful.requests.states import RequestStatus
from lawful.store.models import utcnow
from lawful.store.tasks import Payload, RetryLaterError

if TYPE_CHECKING:
    from lawful.requests.tasks import RequestsRuntime


def receive_callback(
    session: Session,
    *,
    ctx: RequestsContext,
    http: httpx.Client,
    environ: Mapping[str, str],
    headers: Mapping[str, str],
    body: bytes,
    our_url: str,
) -> int:
    """The HTTP status a processor's callback gets (security guidelines, step 5)."""
    domain = headers.get(DOMAIN) or headers.get(LEGACY_DOMAIN) or ""
    endpoint = _allowed(ctx, domain)
    if endpoint is None:
        return 401  # not a processor of ours (the allow-list: the map's recipients)
    try:
        check_signed(http, environ, endpoint, headers, body)
        status = status_from(body)
    except TrustError as error:
        return error.status
    if status.get("status_callback_url") != our_url:
        return 400  # §8.8 step 6: meant for another endpoint
    found = processor_answered(session, ctx=ctx, status=status, domain=domain, now=utcnow())
    return 202 if found is not None else 404


def _allowed(ctx: RequestsContext, domain: str) -> RecipientOpenDsr | None:
    for recipient in processors(ctx.datamap).values():
        if recipient.opendsr is not None and recipient.opendsr.domain == domain:
            return recipient.opendsr
    return None


def poll(runtime: RequestsRuntime, payload: Payload) -> None:
    """Ask the processor for the status (§8.1); retried until our forward to it is settled
    (a completion the run could not record yet is recorded on a later try)."""
    with runtime.sessions() as session:
        sent = session.get(OpenDsrOutgoing, str(payload["subject_request_id"]))
        recipient = runtime.ctx.datamap.recipients.get(sent.recipient) if sent else None
        endpoint = recipient.opendsr if recipient else None
        if sent is None or endpoint is None or _settled(session, sent):
            return  # done, cancelled, or no longer declared: staff record the outcome
        status = _remote_status(runtime, endpoint, sent.subject_request_id)
        processor_answered(session, ctx=runtime.ctx, status=status, domain=endpoint.domain,
                           now=utcnow())  # fmt: skip
        session.commit()
        if not _settled(session, sent):
            raise RetryLaterError(f"the processor says {sent.status}; asking again later")


def _remote_status(
    runtime: RequestsRuntime, endpoint: RecipientOpenDsr, subject_request_id: str
) -> Mapping[str, object]:
    token = runtime.environ.get(endpoint.token_env, "")
    url = f"{endpoint.url.rstrip('/')}/requests/{subject_request_id}"
    try:
        with runtime.http() as http:
            answer = http.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=15)
            check_signed(http, runtime.environ, endpoint, answer.headers, answer.content)
        return status_from(answer.content)
    except (httpx.HTTPError, TrustError) as error:
        raise RetryLaterError(f"polling the processor failed: {type(error).__name__}") from None


def _settled(session: Session, sent: OpenDsrOutgoing) -> bool:
    """Our request is no longer running, or its forward to this processor is closed."""
    request = by_id(session, request_id=sent.request_id)
    if request is None or request.status is not RequestStatus.running:
        return True
    rows = [
        r for r in forwards(session, request_id=request.id) if r.client == PREFIX + sent.recipient
    ]
    return bool(rows) and rows[0].status is not ForwardStatus.open
