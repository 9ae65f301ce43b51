"""What a client's OpenDSR calls do: a new request (stored, identities sealed, queued for the
engine), its status, its cancellation while pending (OpenDSR 2.0 §9), its results. A client
sees only its own requests: another's id is answered as unknown."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lawful.interop.opendsr.intake import OpenDsrError, Submitted
from lawful.interop.opendsr.models import OpenDsrRequest, OpenDsrStatus
from lawful.interop.opendsr.status import expected_completion
from lawful.store.audit import record_event
from lawful.store.crypto import Keyring
from lawful.store.models import new_id
from lawful.store.tasks import Dispatcher, defer_job

RUN_JOB = "opendsr.run"
# How long a client can download an access result: long enough to fetch it, short enough
# not to keep a second copy of the data (GDPR Art. 5(1)(e), storage limitation).
RESULTS_DAYS = 7
IDENTITY_CONTEXT = "opendsr-identity"
RESULTS_CONTEXT = "opendsr-results"
SUBJECT_TYPE = "opendsr_request"


def submit(
    session: Session,
    *,
    keyring: Keyring,
    jobs: Dispatcher,
    client: str,
    submitted: Submitted,
    base_url: str,
    now: datetime,
) -> OpenDsrRequest:
    """Store the request and queue its run; a second request with the same id is refused."""
    if find(session, client=client, subject_request_id=submitted.subject_request_id):
        raise OpenDsrError("A request with this subject_request_id exists.", reason="Duplicate")
    sealed = keyring.encrypt_json([list(p) for p in submitted.identities], context=IDENTITY_CONTEXT)
    row = OpenDsrRequest(
        id=new_id(), client=client, subject_request_id=submitted.subject_request_id,
        request_type=submitted.request_type, regulation=submitted.regulation,
        api_version=submitted.api_version, status=OpenDsrStatus.pending,
        identity_sealed=sealed, callback_urls=list(submitted.callback_urls), base_url=base_url,
        submitted_time=submitted.submitted_time, received_time=now,
        expected_completion_time=expected_completion(submitted.regulation, submitted.submitted_time),
    )  # fmt: skip
    session.add(row)
    session.flush()
    _audit(session, row, "opendsr.received", now, {"type": row.request_type})
    defer_job(session, queue=jobs, kind=RUN_JOB, payload={"opendsr_request_id": row.id})
    return row


def find(session: Session, *, client: str, subject_request_id: str) -> OpenDsrRequest | None:
    query = select(OpenDsrRequest).where(
        OpenDsrRequest.client == client, OpenDsrRequest.subject_request_id == subject_request_id
    )
    return session.scalars(query).first()


def owned(session: Session, *, client: str, subject_request_id: str) -> OpenDsrRequest:
    row = find(session, client=client, subject_request_id=subject_request_id)
    if row is None:
        raise OpenDsrError("No such request.", status=404, reason="NotFound")
    return row


def cancel(
    session: Session, *, client: str, subject_request_id: str, now: datetime
) -> OpenDsrRequest:
    """Cancel while pending (§9), in one conditional UPDATE: the engine's start and the
    cancellation cannot both win."""
    row = owned(session, client=client, subject_request_id=subject_request_id)
    changed = session.execute(
        update(OpenDsrRequest)
        .where(OpenDsrRequest.id == row.id, OpenDsrRequest.status == OpenDsrStatus.pending)
        .values(status=OpenDsrStatus.cancelled, finished_at=now, identity_sealed=None)
    ).rowcount  # type: ignore[attr-defined]
    if not changed:
        session.refresh(row)
        raise OpenDsrError(
            f"Only a pending request can be cancelled; this one is {row.status.value}.",
            reason="NotPending",
        )
    session.refresh(row)
    _audit(session, row, "opendsr.cancelled", now, {})
    return row


def results(session: Session, *, keyring: Keyring, client: str, subject_request_id: str) -> bytes:
    """The access or portability package, to the client that asked only."""
    row = owned(session, client=client, subject_request_id=subject_request_id)
    if row.results_sealed is None:
        raise OpenDsrError("This request has no results (yet).", status=404, reason="NotFound")
    return keyring.decrypt(row.results_sealed, context=RESULTS_CONTEXT)


def purge_results(session: Session, *, now: datetime) -> int:
    """Drop the access results completed more than RESULTS_DAYS ago (housekeeping)."""
    cutoff = now - timedelta(days=RESULTS_DAYS)
    result = session.execute(
        update(OpenDsrRequest)
        .where(OpenDsrRequest.results_sealed.is_not(None), OpenDsrRequest.finished_at < cutoff)
        .values(results_sealed=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def encoded(body: bytes) -> str:
    return base64.b64encode(body).decode()


def _audit(
    session: Session, row: OpenDsrRequest, action: str, now: datetime, details: dict[str, str]
) -> None:
    record_event(session, actor=f"opendsr:{row.client}", action=action, subject_type=SUBJECT_TYPE,
                 subject_id=row.id, details=details, at=now)  # fmt: skip
