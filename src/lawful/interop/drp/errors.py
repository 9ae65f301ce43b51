"""Errors in the DRP's own shape (DRP 1.0 §3.06): `{"code": "400", "message": …}`, with
`"fatal": true` when the request will not be processed whatever the agent retries."""

from __future__ import annotations


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
