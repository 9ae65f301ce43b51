"""The base of every error Lawful's services raise on purpose.

Each carries its HTTP status, a stable code for API clients, the input field at fault when
there is one, and a message a person can act on. The web layer turns them into responses;
the CLI prints the message.
"""

from __future__ import annotations


class DomainError(Exception):
    http_status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
