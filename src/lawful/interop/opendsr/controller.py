"""OpenDSR as the controller: after our own run, an erasure or access request goes to every
processor the map declares with an `opendsr` endpoint (GDPR Art. 28(3)(e): the processor
assists us in answering the person). Each send is a forward of the request: it stays open —
and the request running — until the processor says `completed` (by a signed callback, or
when polled), or staff record an outcome themselves (`lawful.requests.forwards`)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from contextlib import suppress
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from lawful.datamap.models import DataMap, Recipient
from lawful.interop.opendsr.models import OpenDsrOutgoing
from lawful.interop.opendsr.status import iso
from lawful.interop.opendsr.trust import TrustError, check_signed
from lawful.law.requests import RequestType
from lawful.requests.context import RequestsContext
from lawful.requests.errors import ConflictError, RequestNotFoundError
from lawful.requests.forwarding import ForwardResult
from lawful.requests.forwards import record_forward
from lawful.requests.identity import open_identity
from lawful.requests.models import RightsRequest
from lawful.requests.repository import by_id
from lawful.store.tasks import defer_job

if TYPE_CHECKING:
    from lawful.requests.tasks import RequestsRuntime

POLL_JOB = "opendsr.poll"
METHOD = "opendsr"
PREFIX = "recipient:"  # a forward's `client` for a processor: recipients are not clients
TYPES = {RequestType.erasure: "erasure", RequestType.access: "access",
         RequestType.portability: "portability"}  # fmt: skip
TIMEOUT_SECONDS = 15


def processors(datamap: DataMap) -> dict[str, Recipient]:
    return {rid: r for rid, r in datamap.recipients.items() if r.opendsr is not None}


def forward_to_processors(
    runtime: RequestsRuntime, request: RightsRequest, *, now: datetime, skip: set[str]
) -> list[ForwardResult]:
    """A `requests.tasks` forwarder: send the request to each processor not told yet; a
    processor already sent to is waited for, never sent to twice."""
    kind = TYPES.get(request.request_type)
    if kind is None:
        return []
    found: list[ForwardResult] = []
    for rid, recipient in processors(runtime.ctx.datamap).items():
        if PREFIX + rid in skip:
            continue
        with runtime.sessions() as session:
            sent = _outgoing(session, request_id=request.id, recipient=rid)
            if sent is None:
                found.append(_send(runtime, session, request, rid, recipient, kind, now))
                session.commit()
            elif sent.status == "completed":  # it answered before the forward was saved
                detail = f"completed by {recipient.name} (OpenDSR)"
                found.append(
                    ForwardResult(PREFIX + rid, recipient.name, METHOD, (), "sent", detail)
                )
            else:
                found.append(_waiting(rid, recipient, sent.status, sent.sent_at))
    return found


def _outgoing(session: Session, *, request_id: str, recipient: str) -> OpenDsrOutgoing | None:
    query = select(OpenDsrOutgoing).where(
        OpenDsrOutgoing.request_id == request_id, OpenDsrOutgoing.recipient == recipient
    )
    return session.scalars(query).first()


def _waiting(rid: str, recipient: Recipient, status: str, sent_at: datetime) -> ForwardResult:
    detail = f"sent by OpenDSR on {sent_at:%Y-%m-%d}; the processor says {status}"
    return ForwardResult(PREFIX + rid, recipient.name, METHOD, (), "waiting", detail)


def _send(
    runtime: RequestsRuntime,
    session: Session,
    request: RightsRequest,
    rid: str,
    recipient: Recipient,
    kind: str,
    now: datetime,
) -> ForwardResult:
    endpoint = recipient.opendsr
    assert endpoint is not None
    token = runtime.environ.get(endpoint.token_env, "")
    if not token:
        detail = f"set {endpoint.token_env} to the token {recipient.name} gave us"
        return ForwardResult(PREFIX + rid, recipient.name, METHOD, (), "failed", detail)
    body = request_body(runtime, request, kind, str(uuid.uuid4()))
    try:
        with runtime.http() as http:
            answer = http.post(f"{endpoint.url.rstrip('/')}/requests", json=body,
                               headers={"Authorization": f"Bearer {token}"},
                               timeout=TIMEOUT_SECONDS)  # fmt: skip
            if answer.status_code != 201:
                raise TrustError(f"{recipient.name} answered HTTP {answer.status_code}")
            check_signed(http, runtime.environ, endpoint, answer.headers, answer.content)
    except (httpx.HTTPError, TrustError) as error:
        detail = str(error)[:300] if isinstance(error, TrustError) else type(error).__name__
        return ForwardResult(PREFIX + rid, recipient.name, METHOD, (), "failed", detail)
    session.add(OpenDsrOutgoing(subject_request_id=body["subject_request_id"],
                                request_id=request.id, recipient=rid, status="pending",
                                sent_at=now, updated_at=now))  # fmt: skip
    # Polling also records a completion a callback brought before this forward was saved.
    payload = {"request_id": request.id, "subject_request_id": body["subject_request_id"]}
    defer_job(session, queue=runtime.ctx.jobs, kind=POLL_JOB, payload=payload)
    return _waiting(rid, recipient, "pending", now)


def request_body(
    runtime: RequestsRuntime, request: RightsRequest, kind: str, subject_request_id: str
) -> dict[str, Any]:
    """OpenDSR 2.0 §7.1.1: the person's email, raw, and where to call us back."""
    email = open_identity(runtime.ctx.keyring, request).email.strip().lower()
    public = runtime.ctx.policy.public_url.rstrip("/")
    return {
        "regulation": "ccpa" if request.residence_country == "US" else "gdpr",
        "subject_request_id": subject_request_id,
        "subject_request_type": kind,
        "submitted_time": iso(request.received_at),
        "subject_identities": [
            {"identity_type": "email", "identity_value": email, "identity_format": "raw"}
        ],
        "api_version": "2.0",
        "status_callback_urls": [f"{public}/opendsr/v1/callbacks"],
    }


def status_from(body: bytes) -> Mapping[str, Any]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise TrustError("the processor's status is not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("subject_request_id"), str):
        raise TrustError("the processor's status has no subject_request_id")
    return data


def processor_answered(
    session: Session, *, ctx: RequestsContext, status: Mapping[str, Any], domain: str,
    now: datetime,
) -> OpenDsrOutgoing | None:  # fmt: skip
    """Keep a processor's new status; `completed` closes our forward to it (and lets the
    request finish once no other forward is open). None: not one of our requests there."""
    sent = session.get(OpenDsrOutgoing, str(status["subject_request_id"]))
    recipient = ctx.datamap.recipients.get(sent.recipient) if sent else None
    if sent is None or recipient is None or recipient.opendsr is None:
        return None
    if recipient.opendsr.domain != domain:
        return None  # another processor's request: it may not speak for it
    sent.status, sent.updated_at = str(status.get("request_status", sent.status))[:16], now
    url = status.get("results_url")
    sent.results_url = url[:1000] if isinstance(url, str) else sent.results_url
    request = by_id(session, request_id=sent.request_id)
    if sent.status == "completed" and request is not None and request.status.value == "running":
        # Recorded already, or the run has not saved its forwards yet (it will see the
        # status then): nothing to do.
        with suppress(ConflictError, RequestNotFoundError):
            record_forward(session, ctx=ctx, reference=request.reference,
                           client=PREFIX + sent.recipient, channel=METHOD,
                           note=f"{recipient.name} answered completed (OpenDSR)",
                           sent_at=min(sent.sent_at, now), actor=f"opendsr:{domain}", now=now)  # fmt: skip
    return sent
