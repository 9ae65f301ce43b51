"""Following a request we sent to a processor: its signed callbacks (checked as the security
guidelines say, answered 202, 401 or 400) and, in case none comes, polling its status as a
durable task retried with back-off until the processor says `completed`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import httpx
from sqlalchemy.orm import Session

from lawful.datamap.models import RecipientOpenDsr
from lawful.interop.opendsr.controller import processor_answered, processors, status_from
from lawful.interop.opendsr.models import OpenDsrOutgoing
from lawful.interop.opendsr.signing import DOMAIN, LEGACY_DOMAIN
from lawful.interop.opendsr.trust import TrustError, check_signed
from lawful.requests.context import RequestsContext
from lawful.store.models import utcnow
from lawful.store.tasks import Payload, RetryLaterError

if TYPE_CHECKING:
    from lawful.requests.tasks import RequestsRuntime

FINAL = frozenset({"completed", "cancelled"})


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
    """Ask the processor for the status (§8.1); retried until it is final."""
    with runtime.sessions() as session:
        sent = session.get(OpenDsrOutgoing, str(payload["subject_request_id"]))
        if sent is None or sent.status in FINAL:
            return
        recipient = runtime.ctx.datamap.recipients.get(sent.recipient)
        endpoint = recipient.opendsr if recipient else None
        if endpoint is None:
            return  # no longer declared: staff record the outcome
        token = runtime.environ.get(endpoint.token_env, "")
        url = f"{endpoint.url.rstrip('/')}/requests/{sent.subject_request_id}"
        try:
            with runtime.http() as http:
                answer = http.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=15)
                check_signed(http, runtime.environ, endpoint, answer.headers, answer.content)
            status = status_from(answer.content)
        except (httpx.HTTPError, TrustError) as error:
            raise RetryLaterError(f"polling the processor failed: {type(error).__name__}") from None
        processor_answered(session, ctx=runtime.ctx, status=status, domain=endpoint.domain,
                           now=utcnow())  # fmt: skip
        session.commit()
        if sent.status not in FINAL:
            raise RetryLaterError(f"the processor says {sent.status}; asking again later")
