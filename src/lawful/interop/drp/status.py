"""Our request's state in the DRP's words (DRP 1.0 §3.02–3.03): the Exercise Status object
sent in answers and callbacks. No personal data: ids, states, dates, and our own text."""

from __future__ import annotations

from datetime import UTC, datetime, time
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from lawful.interop.drp.models import DrpRequest
from lawful.law.denials import DenialReason
from lawful.requests.models import RightsRequest
from lawful.requests.states import RequestStatus


class DrpState(StrEnum):
    open = "open"
    in_progress = "in_progress"
    fulfilled = "fulfilled"
    revoked = "revoked"
    denied = "denied"
    expired = "expired"


class DrpReason(StrEnum):
    suspected_fraud = "suspected_fraud"
    insuf_verification = "insuf_verification"
    no_match = "no_match"
    claim_not_covered = "claim_not_covered"
    outside_jurisdiction = "outside_jurisdiction"
    too_many_requests = "too_many_requests"
    other = "other"


S = RequestStatus
FINAL = frozenset({DrpState.fulfilled, DrpState.revoked, DrpState.denied, DrpState.expired})
_IN_PROGRESS = frozenset({S.verifying, S.verified, S.approved, S.running})
_FULFILLED = frozenset({S.completed, S.partially_completed, S.forwarded})
# Our denial reasons (lawful.law.denials) in the DRP's fixed list (DRP 1.0 §3.02).
_REASONS = {
    DenialReason.suspected_fraud: DrpReason.suspected_fraud,
    DenialReason.identity_not_verified: DrpReason.insuf_verification,
    DenialReason.no_match: DrpReason.no_match,
    DenialReason.outside_jurisdiction: DrpReason.outside_jurisdiction,
    DenialReason.excessive: DrpReason.too_many_requests,  # GDPR Art. 12(5): repetitive
    DenialReason.manifestly_unfounded: DrpReason.other,
}
_WAITING = {
    S.received: "Received.",
    S.verifying: "Waiting for the person to confirm the request (a code was sent by email).",
    S.verified: "Identity verified; waiting for approval.",
    S.approved: "Approved; being carried out.",
    S.running: "Being carried out.",
}


def drp_state(drp: DrpRequest, request: RightsRequest | None) -> tuple[DrpState, DrpReason | None]:
    if request is None:  # the record was purged after its keeping period (11 CCR §7101)
        return DrpState.expired, None
    status = request.status
    if status is S.received:
        return DrpState.open, None
    if status in _IN_PROGRESS:
        return DrpState.in_progress, None
    if status in _FULFILLED:
        return DrpState.fulfilled, None
    if status is S.cancelled:
        return (DrpState.revoked, None) if drp.revoked_at else (DrpState.denied, DrpReason.other)
    if status is S.expired:  # never confirmed in time: the verification step failed
        return DrpState.denied, DrpReason.insuf_verification
    return DrpState.denied, _denial_reason(request.denial_reason)


def _denial_reason(reason: str | None) -> DrpReason:
    try:
        ours = DenialReason(reason or "")
    except ValueError:
        return DrpReason.other
    # Any other ground is an exemption of the law (Art. 17(3), CCPA §1798.105(d)): the
    # data asked for is not covered by the right.
    return _REASONS.get(ours, DrpReason.claim_not_covered)


def exercise_status(drp: DrpRequest, request: RightsRequest | None) -> dict[str, Any]:
    """The Exercise Status object (DRP 1.0 §3.03)."""
    state, reason = drp_state(drp, request)
    body: dict[str, Any] = {"request_id": drp.id, "status": state.value}
    if reason is not None:
        body["reason"] = reason.value
    if drp.agent_request_id is not None:
        body["agent_request_id"] = drp.agent_request_id
    if request is None:
        return body
    body["received_at"] = _iso(request.received_at)
    if state is DrpState.in_progress or state is DrpState.open:
        # The deadline `law/` computed at receipt (11 CCR §7021), moved by any extension.
        end = datetime.combine(request.respond_by, time(23, 59, 59), ZoneInfo(request.timezone))
        body["expected_by"] = _iso(end)
    details = _details(request, state)
    if details:
        body["processing_details"] = details
    if request.keep_until is not None:
        body["expires_at"] = _iso(request.keep_until)
    return body


def _details(request: RightsRequest, state: DrpState) -> str | None:
    if state is DrpState.in_progress and request.extensions:
        last = request.extensions[-1]
        return f"Extended by {last['amount']} {last['unit']}: {last['reason']}"
    if state in (DrpState.in_progress, DrpState.open):
        return _WAITING.get(request.status)
    if request.status is S.partially_completed:
        return "Done in part: some data is kept where the law requires it."
    if request.status is S.forwarded:
        return "The data is held for a client of ours: the request was passed on to it."
    return None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
