"""An OpenDSR request as a client sends it (OpenDSR 2.0 §7.1), checked field by field; each
fault is an error in the spec's shape (§7.5–7.6: HTTP 400, no identity in the message)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

REQUEST_TYPES = ("access", "portability", "erasure")  # §6.2
REGULATIONS = ("gdpr", "ccpa")  # §7.1.1
# The identity types we look people up by (§5.1), raw only (§5.2): a hashed value would need
# every stored value hashed to be found. `controller_customer_id` is the client's customer
# number, declared in its datasets as the identity type `customer_id`.
IDENTITY_TYPES = {"email": "email", "controller_customer_id": "customer_id"}
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
MAX_IDENTITIES = 20
MAX_CALLBACKS = 5
MAX_VALUE = 320
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


class OpenDsrError(Exception):
    """A request refused; `body()` is the spec's error object."""

    def __init__(self, message: str, *, status: int = 400, reason: str = "Validation") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.reason = reason

    def body(self) -> dict[str, Any]:
        detail = {"domain": "OpenDSR", "reason": self.reason, "message": self.message}
        return {"error": {"code": self.status, "message": self.message, "errors": [detail]}}


@dataclass(frozen=True)
class Submitted:
    subject_request_id: str
    request_type: str
    regulation: str
    submitted_time: datetime
    identities: tuple[tuple[str, str], ...]  # (our identity type, value)
    callback_urls: tuple[str, ...]
    api_version: str


def parse_request(body: bytes) -> Submitted:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise OpenDsrError("The body is not JSON.") from None
    if not isinstance(data, dict):
        raise OpenDsrError("The body must be a JSON object.")
    return Submitted(
        subject_request_id=_uuid(data.get("subject_request_id")),
        request_type=_choice(data, "subject_request_type", REQUEST_TYPES),
        regulation=_choice(data, "regulation", REGULATIONS),
        submitted_time=_time(data.get("submitted_time")),
        identities=_identities(data.get("subject_identities")),
        callback_urls=_callbacks(data.get("status_callback_urls")),
        api_version=str(data.get("api_version") or "2.0")[:8],
    )


def _uuid(value: object) -> str:
    if not isinstance(value, str) or not UUID4.fullmatch(value):
        raise OpenDsrError("subject_request_id must be a lowercase UUID v4 (§1.1).")
    return value


def _choice(data: dict[str, Any], name: str, allowed: tuple[str, ...]) -> str:
    value = data.get(name)
    if value not in allowed:
        raise OpenDsrError(f"{name} must be one of: {', '.join(allowed)}.")
    return str(value)


def _time(value: object) -> datetime:
    if not isinstance(value, str):
        raise OpenDsrError("submitted_time is required (an RFC 3339 date).")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise OpenDsrError("submitted_time is not an RFC 3339 date.") from None
    if moment.tzinfo is None:
        raise OpenDsrError("submitted_time needs its offset (RFC 3339), e.g. Z.")
    return moment.astimezone(UTC)


def _identities(value: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list) or not 0 < len(value) <= MAX_IDENTITIES:
        raise OpenDsrError(f"subject_identities must list 1 to {MAX_IDENTITIES} identities.")
    found: list[tuple[str, str]] = []
    for item in value:
        if not isinstance(item, dict):
            raise OpenDsrError("Each identity is an object (§5.3).")
        kind, form, text = (
            item.get(k) for k in ("identity_type", "identity_format", "identity_value")
        )
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_VALUE:
            raise OpenDsrError(f"identity_value of a {kind} identity must be a short string.")
        if kind in IDENTITY_TYPES and form == "raw":
            found.append((IDENTITY_TYPES[kind], text.strip()))
    if not found:
        supported = ", ".join(f"{k} (raw)" for k in IDENTITY_TYPES)
        raise OpenDsrError(f"No supported identity: send one of {supported}.")
    return tuple(found)


def _callbacks(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_CALLBACKS:
        raise OpenDsrError(f"status_callback_urls must list at most {MAX_CALLBACKS} URLs.")
    for url in value:
        parts = urlsplit(url) if isinstance(url, str) and len(url) <= 1000 else None
        local = parts is not None and parts.scheme == "http" and parts.hostname in _LOCAL_HOSTS
        if parts is None or not (parts.scheme == "https" or local) or not parts.hostname:
            raise OpenDsrError("Each status callback URL must be https:// (§8.5, over TLS).")
    return tuple(value)
