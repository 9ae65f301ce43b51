"""Errors of the rights-request workflow: each carries its HTTP status, a stable code for API
clients, the input field at fault when there is one, and a message a person can act on."""

from __future__ import annotations

from lawful.errors import DomainError


class RequestError(DomainError):
    """Base of every error the requests services raise on purpose."""


class InvalidInputError(RequestError):
    http_status = 422
    code = "invalid_input"


class UploadRejectedError(RequestError):
    http_status = 422
    code = "upload_rejected"


class UploadTooLargeError(UploadRejectedError):
    http_status = 413
    code = "upload_too_large"


class TooManyDocumentsError(UploadRejectedError):
    http_status = 409
    code = "too_many_documents"


class RequestNotFoundError(RequestError):
    """Also raised for a wrong status token, so a guessed reference reveals nothing."""

    http_status = 404
    code = "not_found"


class TokenInAddressError(RequestError):
    """A secret sent in the query string, where proxies, browsers and access logs keep it."""

    http_status = 400
    code = "token_in_url"

    def __init__(self, header: str) -> None:
        super().__init__(
            f"Send the status token in the `{header}` header, not in the address: addresses "
            "are written to logs. This address no longer accepts it.",
            field="token",
        )


class CodeRejectedError(RequestError):
    http_status = 400
    code = "code_rejected"


class CodeLockedError(RequestError):
    http_status = 429
    code = "code_locked"


class ConflictError(RequestError):
    http_status = 409
    code = "conflict"


class DownloadRefusedError(RequestError):
    http_status = 403
    code = "download_refused"


class DownloadGoneError(RequestError):
    http_status = 410
    code = "download_gone"
