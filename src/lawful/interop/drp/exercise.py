"""Data rights requests from agents (DRP 1.0 §2.01–2.04): checked in the spec's order
(§3.07), turned into one of our rights requests, followed, and revoked."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from lawful.interop.drp import repository
from lawful.interop.drp.errors import DrpError, bad_request, forbidden
from lawful.interop.drp.identity import intake_of
from lawful.interop.drp.models import DrpAgent, DrpRequest
from lawful.interop.drp.signing import check_envelope, claims_of, decode_message, open_signed
from lawful.interop.drp.signing import verify_key as parse_verify_key
from lawful.interop.drp.status import exercise_status
from lawful.requests import repository as requests_repository
from lawful.requests import service
from lawful.requests.context import RequestsContext
from lawful.requests.errors import RequestError
from lawful.store.models import utcnow

VERSIONS = frozenset({"1.0", "0.9.4"})  # 0.9.4 became 1.0 with no change to the messages


def signed_claims(
    body: bytes, *, agent: DrpAgent, business_id: str, now: datetime, envelope: bool = True
) -> dict[str, Any]:
    """DRP 1.0 §3.07, in this order: decode; verify with the key bound to the bearer token;
    agent-id is that agent; business-id is us; issued-at <= now < expires-at."""
    raw = decode_message(body)
    claims = claims_of(open_signed(raw, parse_verify_key(agent.verify_key)))
    if envelope:
        check_envelope(claims, agent_id=agent.id, business_id=business_id, now=now)
    return claims


def submit_exercise(
    session: Session,
    *,
    ctx: RequestsContext,
    agent: DrpAgent,
    body: bytes,
    business_id: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A Data Rights Exercise (§2.01): the new request's Exercise Status object."""
    now = now or utcnow()
    claims = signed_claims(body, agent=agent, business_id=business_id, now=now)
    version = claims.get("drp.version")
    if version not in VERSIONS:
        raise bad_request(f'`drp.version` {version!r} is not supported: send "1.0".')
    intake = intake_of(claims, agent=agent, datamap=ctx.datamap)
    try:
        done = service.submit_request(session, ctx=ctx, intake=intake, actor=f"agent:{agent.id}")
    except RequestError as error:
        where = f" ({error.field})" if error.field else ""
        raise bad_request(f"{error.message}{where}") from None
    drp = DrpRequest(
        id=str(uuid.uuid4()),
        agent_id=agent.id,
        rights_request_id=done.request.id,
        agent_request_id=_text(claims, "agent-request-id"),
        exercise=str(claims["exercise"]),
        regime=_text(claims, "regime"),
        status_callback=_callback(claims),
        created_at=now,
    )
    drp.last_status = exercise_status(drp, done.request)
    session.add(drp)
    return drp.last_status


def _text(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 200:
        raise bad_request(f"`{name}` must be a string of at most 200 characters.")
    return value


def _callback(claims: Mapping[str, Any]) -> str | None:
    url = claims.get("status_callback")
    if url is None:
        return None
    if not isinstance(url, str) or not url.startswith(("https://", "http://")) or len(url) > 1000:
        raise bad_request("`status_callback` must be an http(s) URL of at most 1000 characters.")
    return url


def agents_request(session: Session, *, agent: DrpAgent, request_id: str) -> DrpRequest:
    """The request `request_id` if `agent` manages it: 404 if unknown, 403 if another's."""
    drp = repository.get_request(session, request_id=request_id)
    if drp is None:
        raise DrpError(404, "No data rights request has this id.")
    if drp.agent_id != agent.id:  # DRP 1.0 §2.02.1
        raise forbidden("This request is managed by another agent.")
    return drp


def request_status(session: Session, *, agent: DrpAgent, request_id: str) -> dict[str, Any]:
    """Data Rights Status (§2.02)."""
    drp = agents_request(session, agent=agent, request_id=request_id)
    return exercise_status(drp, repository.rights_request(session, drp=drp))


def revoke_exercise(
    session: Session,
    *,
    ctx: RequestsContext,
    agent: DrpAgent,
    request_id: str,
    body: bytes,
    business_id: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Data Rights Revoke (§2.04): a signed `{"reason": …}`; only while open or in progress,
    i.e. before our engine starts on it. The reason is the person's: not stored."""
    now = now or utcnow()
    drp = agents_request(session, agent=agent, request_id=request_id)
    claims = signed_claims(body, agent=agent, business_id=business_id, now=now, envelope=False)
    reason = claims.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise bad_request("`reason` must be a string.")
    if drp.rights_request_id is not None:
        # Read the request only under its row lock: of parallel revokes, one wins.
        requests_repository.lock_request(session, request_id=drp.rights_request_id)
    request = repository.rights_request(session, drp=drp)
    if request is None:
        raise DrpError(409, "This request is expired: there is nothing left to revoke.")
    drp.revoked_at = now
    try:
        service.cancel_request(
            session, ctx=ctx, reference=request.reference, actor=f"agent:{agent.id}", now=now
        )
    except RequestError as error:
        drp.revoked_at = None
        raise DrpError(409, f"The request can no longer be revoked: {error.message}") from None
    return exercise_status(drp, request)
