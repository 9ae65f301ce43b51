"""Errors of the training register, each with its HTTP status, a stable code, the field at
fault and a message a person can act on."""

from __future__ import annotations

from lawful.errors import DomainError


class InvalidTrainingError(DomainError):
    http_status = 422
    code = "invalid_input"
