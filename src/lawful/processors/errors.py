"""Errors of the processor register, each with its HTTP status, a stable code, the field at
fault and a message a person can act on."""

from __future__ import annotations

from lawful.errors import DomainError


class ProcessorError(DomainError):
    """Base of every error the processor services raise on purpose."""


class InvalidProcessorError(ProcessorError):
    http_status = 422
    code = "invalid_input"


class NoticeConflictError(ProcessorError):
    http_status = 409
    code = "conflict"


class ProcessorNotFoundError(ProcessorError):
    http_status = 404
    code = "not_found"
