"""Delivering a marker change to its system's webhook, as a platform job: signed the
Standard Webhooks way (HMAC-SHA256 over id, timestamp and body), retried with back-off by the
worker while the receiver is down, slow or failing. The `webhook-id` is the change's: the same
on every retry, so a receiver that sees it twice drops the second."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from datetime import datetime

import httpx
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks import Webhook
from standardwebhooks.webhooks import EmptyWebhookSecretError

from lawful.datamap.models import DataMap
from lawful.markers.repository import change_with_marker, marker_event
from lawful.markers.service import webhook_target
from lawful.store.audit import record_event
from lawful.store.crypto import Keyring
from lawful.store.models import utcnow
from lawful.store.tasks import Payload, RetryLaterError

ACTOR = "system:markers"


def delivery_id(seq: int) -> str:
    """The webhook id of a change: unique per change, the same on each retry."""
    return f"msg_marker_{seq}"


def signed_request(*, secret: str, seq: int, body: bytes, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers for `body`."""
    msg_id = delivery_id(seq)
    _check_secret(secret)
    signature = Webhook(secret).sign(msg_id=msg_id, timestamp=at, data=body.decode())
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


def _check_secret(secret: str) -> None:
    """`whsec_` and a strict base64 key of at least 16 bytes; raises ValueError."""
    key = secret.removeprefix("whsec_")
    if key == secret or len(base64.b64decode(key + "=" * (-len(key) % 4), validate=True)) < 16:
        raise ValueError("not a Standard Webhooks secret")


def deliver_change(
    sessions: sessionmaker[Session],
    *,
    datamap: DataMap,
    keyring: Keyring,
    environ: Mapping[str, str],
    payload: Payload,
    http: Callable[..., httpx.Client] = httpx.Client,
    clock: Callable[[], datetime] = utcnow,
) -> None:
    """The job body of `markers.webhook`: post the change, or raise RetryLaterError."""
    seq = int(payload["change"])
    with sessions() as session:
        found = change_with_marker(session, seq)
        if found is None:
            return  # the marker was deleted with its changes: nothing left to tell
        change, marker = found
        target = webhook_target(datamap, change.dataset)
        if target is None:
            raise RetryLaterError(
                f"dataset {change.dataset!r} declares no webhook in the map any more: declare "
                "`notify: {webhook: {url_env: …, secret_env: …}}` and retry, or tell it by hand"
            )
        url, secret = environ.get(target.url_env), environ.get(target.secret_env)
        if not url or not secret:
            raise RetryLaterError(
                f"set {target.url_env} (the URL) and {target.secret_env} (a whsec_ secret) "
                f"in the environment of the worker to tell dataset {change.dataset!r}"
            )
        event = {
            "type": f"marker.{change.action}",
            "data": marker_event(keyring, change, marker),
        }
        body = json.dumps(event, sort_keys=True, separators=(",", ":")).encode()
        try:
            headers = signed_request(secret=secret, seq=seq, body=body, at=clock())
        except (ValueError, EmptyWebhookSecretError):  # binascii.Error is a ValueError
            raise RetryLaterError(
                f"{target.secret_env} must hold a Standard Webhooks secret: `whsec_` followed "
                "by a base64 key (e.g. `whsec_` + `openssl rand -base64 32`)"
            ) from None
        try:
            with http(timeout=target.timeout_seconds) as client:
                response = client.post(url, content=body, headers=headers)
        except httpx.TimeoutException as error:
            raise RetryLaterError(
                f"the webhook of {change.dataset!r} took longer than "
                f"{target.timeout_seconds:g}s ({type(error).__name__}); retried later"
            ) from None
        except httpx.HTTPError as error:
            raise RetryLaterError(
                f"the webhook of {change.dataset!r} could not be reached "
                f"({type(error).__name__}); retried later"
            ) from None
        if not response.is_success:
            raise RetryLaterError(
                f"the webhook of {change.dataset!r} answered HTTP {response.status_code}; "
                "retried later"
            )
        record_event(
            session,
            actor=ACTOR,
            action="marker.delivered",
            subject_type="marker",
            subject_id=marker.id,
            details={"dataset": change.dataset, "change": seq, "webhook_id": delivery_id(seq)},
        )
        session.commit()
