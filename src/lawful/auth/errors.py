"""Errors of the staff domain: each carries its HTTP status and a message a person can act on."""

from __future__ import annotations

from lawful.errors import DomainError


class AuthError(DomainError):
    http_status = 400
    code = "bad_request"


class InvalidStaffInputError(AuthError):
    http_status = 422
    code = "invalid_input"


class StaffExistsError(AuthError):
    http_status = 409
    code = "conflict"


class TokenNotFoundError(AuthError):
    http_status = 404
    code = "not_found"


class LastAdminError(AuthError):
    http_status = 409
    code = "conflict"


class LinkInvalidError(AuthError):
    http_status = 410
    code = "gone"


class SecondFactorError(AuthError):
    http_status = 422
    code = "invalid_input"
