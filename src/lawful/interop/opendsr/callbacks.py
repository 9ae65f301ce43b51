"""Status callbacks (OpenDSR 2.0 §8.5–8.6): on each change of a request's state, every URL
the client gave gets the status, signed with our certificate's key (`X-OpenDSR-Signature`
over the raw body, `X-OpenDSR-Processor-Domain`), as a durable task retried with back-off
until the client answers 2xx (§8.5: processors SHOULD retry)."""

from __future__ import annotations

import json
import logging

import httpx
from sqlalchemy.orm import Session

from lawful.interop.opendsr.models import OpenDsrRequest
from lawful.interop.opendsr.signing import Signer
from lawful.interop.opendsr.status import status_body
from lawful.store.tasks import Dispatcher, Payload, RetryLaterError, defer_job

logger = logging.getLogger(__name__)
CALLBACK_JOB = "opendsr.callback"
TIMEOUT_SECONDS = 10


def announce(session: Session, *, jobs: Dispatcher, row: OpenDsrRequest) -> None:
    """Queue the new status for each callback URL (the body is fixed now: the state it
    reports is the one of this change, whenever the task runs)."""
    for url in row.callback_urls:
        body = status_body(row) | {"status_callback_url": url}
        text = json.dumps(body, separators=(",", ":"), sort_keys=True)
        payload = {"opendsr_request_id": row.id, "url": url, "body": text}
        defer_job(session, queue=jobs, kind=CALLBACK_JOB, payload=payload)


def send_callback(signer: Signer | None, http: httpx.Client, payload: Payload) -> None:
    if signer is None:
        raise RetryLaterError("set opendsr_key and opendsr_certificate to sign callbacks")
    body = str(payload["body"]).encode()
    headers = {"Content-Type": "application/json", **signer.headers(body)}
    try:
        answer = http.post(
            str(payload["url"]), content=body, headers=headers, timeout=TIMEOUT_SECONDS
        )
    except httpx.HTTPError as error:
        raise RetryLaterError(f"the client's callback failed: {type(error).__name__}") from None
    if not answer.is_success:
        raise RetryLaterError(f"the client's callback answered {answer.status_code}")
    logger.info("opendsr callback delivered")
