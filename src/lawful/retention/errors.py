"""Errors of retention and legal holds: each carries its HTTP status, a stable code for API
clients, the input field at fault when there is one, and a message a person can act on."""

from __future__ import annotations

from lawful.errors import DomainError


class RetentionError(DomainError):
    """Base of every error the retention services raise on purpose."""


class InvalidHoldError(RetentionError):
    http_status = 422
    code = "invalid_input"


class HoldNotFoundError(RetentionError):
    http_status = 404
    code = "not_found"


class HoldConflictError(RetentionError):
    http_status = 409
    code = "conflict"


class SweepError(RetentionError):
    """A sweep cannot start (the store is busy with another, or the map is unusable)."""

    http_status = 409
    code = "conflict"
