"""Errors of the breach register: each carries its HTTP status, a stable code for API
clients, the input field at fault when there is one, and a message a person can act on."""

from __future__ import annotations

from lawful.errors import DomainError


class BreachError(DomainError):
    """Base of every error the breach services raise on purpose."""


class InvalidIncidentError(BreachError):
    http_status = 422
    code = "invalid_input"


class IncidentNotFoundError(BreachError):
    http_status = 404
    code = "not_found"
