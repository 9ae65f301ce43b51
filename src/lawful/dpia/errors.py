"""Errors of the DPIA register, each with its HTTP status, a stable code, the field at fault
and a message a person can act on."""

from __future__ import annotations

from lawful.errors import DomainError


class DpiaError(DomainError):
    """Base of every error the DPIA services raise on purpose."""


class InvalidDpiaError(DpiaError):
    http_status = 422
    code = "invalid_input"


class DpiaNotFoundError(DpiaError):
    http_status = 404
    code = "not_found"
