"""Errors of the post-mortem directives register: HTTP status, stable code, the field at fault
and a message a person can act on."""

from __future__ import annotations

from lawful.errors import DomainError


class DirectiveError(DomainError):
    """Base of every error the directives services raise on purpose."""


class InvalidDirectiveError(DirectiveError):
    http_status = 422
    code = "invalid_input"


class DirectiveNotFoundError(DirectiveError):
    http_status = 404
    code = "not_found"


class DirectiveStateError(DirectiveError):
    """Not verified yet, or already applied: the step cannot be taken (again)."""

    http_status = 409
    code = "conflict"
