"""The bodies OpenDSR answers with (OpenDSR 2.0 §7.3, §8.3, §8.6, §9.2): ids, states and
dates; never an identity."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from lawful.interop.opendsr.models import OpenDsrRequest, OpenDsrStatus
from lawful.law.deadlines import add_months

API_VERSION = "2.0"
CCPA_DAYS = 45  # Cal. Civ. Code §1798.130(a)(2)(A): respond within 45 days


def expected_completion(regulation: str, submitted: datetime) -> datetime:
    """The controller's own deadline, counted from the person's request: one month under the
    GDPR (Art. 12(3)), 45 days under the CCPA; we answer by the end of that day (UTC)."""
    day = submitted.astimezone(UTC).date()
    due = day + timedelta(days=CCPA_DAYS) if regulation == "ccpa" else add_months(day, 1)
    return datetime.combine(due, time(23, 59, 59), UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def results_url(row: OpenDsrRequest, *, prefix: str = "/opendsr/v1/requests") -> str | None:
    if row.status is not OpenDsrStatus.completed or row.results_sealed is None:
        return None
    return f"{row.base_url.rstrip('/')}{prefix}/{row.subject_request_id}/results"


def status_body(row: OpenDsrRequest) -> dict[str, Any]:
    """§8.3: the status of a request."""
    body: dict[str, Any] = {
        "controller_id": row.client,
        "expected_completion_time": iso(row.expected_completion_time),
        "subject_request_id": row.subject_request_id,
        "request_status": row.status.value,
        "api_version": API_VERSION,
    }
    url = results_url(row)
    if url is not None:
        body["results_url"] = url
    if row.results_count is not None:
        body["results_count"] = row.results_count
    return body


def created_body(row: OpenDsrRequest, encoded_request: str, receipt: str) -> dict[str, Any]:
    """§7.3: the answer to a new request. `processor_signature` signs the request as
    received (the receipt, §1); the answer itself is signed in the headers."""
    return {
        "controller_id": row.client,
        "expected_completion_time": iso(row.expected_completion_time),
        "received_time": iso(row.received_time),
        "encoded_request": encoded_request,
        "subject_request_id": row.subject_request_id,
        "processor_signature": receipt,
        "api_version": API_VERSION,
    }


def cancelled_body(row: OpenDsrRequest, now: datetime) -> dict[str, Any]:
    """§9.2: the answer to a cancellation."""
    return {
        "controller_id": row.client,
        "received_time": iso(now),
        "subject_request_id": row.subject_request_id,
        "api_version": API_VERSION,
    }
