"""The OpenAPI description of OpenDSR's answers: its errors in the spec's shape (§7.6), and
the app's own errors (rate limit, path, body size) in the app's shape."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from lawful.http.errors import error_responses


class OpenDsrErrorDetail(BaseModel):
    domain: str
    reason: str
    message: str


class OpenDsrErrorBody(BaseModel):
    code: int
    message: str
    errors: list[OpenDsrErrorDetail]


class OpenDsrErrorOut(BaseModel):
    """The body of an OpenDSR error (§7.6)."""

    error: OpenDsrErrorBody


_MEANINGS = {
    400: "Refused as the spec says: a malformed request, a duplicate id, or not pending",
    401: "No valid client token (`Authorization: Bearer <token>`)",
    404: "No request of this client has this id (or no results yet); or OpenDSR is not "
    "configured here (no signing key)",
}
APP_ERRORS = error_responses(422, 429)
BODY_ERRORS = APP_ERRORS | error_responses(413)


def opendsr_responses(*statuses: int, body: bool = False) -> dict[int | str, dict[str, Any]]:
    """A route's `responses=`: the spec's errors, then the app's own."""
    found: dict[int | str, dict[str, Any]] = {
        s: {"model": OpenDsrErrorOut, "description": _MEANINGS[s]} for s in statuses
    }
    return found | (BODY_ERRORS if body else APP_ERRORS)


NO_CERTIFICATE: dict[int | str, dict[str, Any]] = {
    404: {"model": OpenDsrErrorOut, "description": "No signing certificate is configured"}
}
CALLBACK_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "A wrong signature, or a body that is not our status (no body)"},
    401: {"description": "Not a processor of ours, or its certificate fails (no body)"},
    404: {"description": "Not one of our requests at that processor (no body)"},
    **BODY_ERRORS,
}
