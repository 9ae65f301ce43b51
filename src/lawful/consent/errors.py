"""Errors of the consent domain: each carries its HTTP status, a stable code for API clients,
the input at fault when there is one, and a message a person can act on."""

from __future__ import annotations

from lawful.errors import DomainError


class ConsentError(DomainError):
    """Base of every error the consent services raise on purpose."""


class ConsentInputError(ConsentError):
    """A purpose, channel, subject or contact that cannot be used; nothing was stored."""

    http_status = 422
    code = "invalid_input"


class LinkRefusedError(ConsentError):
    """A preference or unsubscribe link that was altered, or is not one of ours."""

    http_status = 403
    code = "link_invalid"


class LinkExpiredError(ConsentError):
    http_status = 410
    code = "link_expired"


class ConsentNotFoundError(ConsentError):
    http_status = 404
    code = "not_found"


class NoticeConflictError(ConsentError):
    http_status = 409
    code = "conflict"
