"""Errors of job handling by staff: each carries its HTTP status, a stable code and a message
a person can act on."""

from __future__ import annotations

from lawful.errors import DomainError


class JobError(DomainError):
    """Base of every error the worker services raise on purpose."""


class TaskNotFoundError(JobError):
    http_status = 404
    code = "not_found"


class TaskNotRetryableError(JobError):
    http_status = 409
    code = "conflict"
