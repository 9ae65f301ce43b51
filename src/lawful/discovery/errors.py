"""Errors of the discovery services: each carries its HTTP status, a stable code and a
message a person can act on."""

from __future__ import annotations

from lawful.errors import DomainError


class DiscoveryError(DomainError):
    """Base of every error the discovery services raise on purpose."""


class UnknownSystemError(DiscoveryError):
    http_status = 404
    code = "not_found"
