"""Errors of the complaints register: each carries its HTTP status, a stable code for API
clients, the input field at fault, and a message a person can act on."""

from __future__ import annotations

from lawful.errors import DomainError


class ComplaintError(DomainError):
    """Base of every error the complaints services raise on purpose."""


class InvalidComplaintError(ComplaintError):
    http_status = 422
    code = "invalid_input"


class ComplaintNotFoundError(ComplaintError):
    http_status = 404
    code = "not_found"
