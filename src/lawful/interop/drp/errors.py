"""Errors in the DRP's own shape (DRP 1.0 §3.06): `{"code": "400", "message": …}`, with
`"fatal": true` when the request will not be processed whatever the agent retries."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class DrpError(Exception):
    """A request the protocol refuses; `bare`: answered with no body (pair-wise setup)."""

    def __init__(
        self, status: int, message: str, *, fatal: bool = False, bare: bool = False
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fatal = fatal
        self.bare = bare

    def body(self) -> dict[str, object]:
        body: dict[str, object] = {"code": str(self.status), "message": self.message}
        if self.fatal:
            body["fatal"] = True
        return body


def forbidden(message: str) -> DrpError:
    return DrpError(403, message)


def bad_request(message: str, *, fatal: bool = False) -> DrpError:
    return DrpError(400, message, fatal=fatal)


class DrpErrorOut(BaseModel):
    """The body of a DRP error (§3.06), as the OpenAPI document lists it."""

    code: str
    message: str
    fatal: bool | None = None


_MEANINGS = {
    400: "Refused as the spec says (undecodable, badly signed body, bad dates, unknown action)",
    403: "Unknown or revoked token, another agent's request, or not our business id",
    404: "No request has this id",
    409: "Not possible in the request's state (a revoke once processing began)",
}


def drp_responses(*statuses: int, bare: tuple[int, ...] = ()) -> dict[int | str, dict[str, Any]]:
    """A DRP route's `responses=`: its errors in the spec's shape; `bare` ones have no body."""
    found: dict[int | str, dict[str, Any]] = {
        status: {"model": DrpErrorOut, "description": _MEANINGS[status]} for status in statuses
    }
    for status in bare:
        found[status] = {"description": _MEANINGS[status] + " (no body)"}
    return found
