"""A real SMTP server (aiosmtpd) on 127.0.0.1, and the inbox a test reads."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from .servers import free_port


def code_in(text: str) -> str:
    """The 6-digit code of a code mail."""
    for line in text.splitlines():
        if line.strip().isdigit() and len(line.strip()) == 6:
            return line.strip()
    raise AssertionError(f"no code in mail:\n{text}")


class Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"

    def to(self, address: str, subject_part: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address and subject_part in m["Subject"]]

    def wait_for(
        self, address: str, subject_part: str, *, count: int = 1, timeout: float = 20
    ) -> EmailMessage:
        """The `count`-th mail to `address` whose subject holds `subject_part`, once it has
        come (mail is sent by background jobs)."""
        deadline = time.monotonic() + timeout
        while len(found := self.to(address, subject_part)) < count:
            if time.monotonic() > deadline:
                subjects = [str(m["Subject"]) for m in self.messages if m["To"] == address]
                raise AssertionError(
                    f"no mail #{count} with {subject_part!r} to {address} in {timeout} s; "
                    f"it got: {subjects}"
                )
            time.sleep(0.05)
        return found[count - 1]

    def text(self, message: EmailMessage) -> str:
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        return str(body.get_content())

    def code(self, message: EmailMessage) -> str:
        return code_in(self.text(message))


class SMTPServer:
    """A real SMTP server on 127.0.0.1 and a port that stays the same when it is stopped
    and started again (a mail server going down and coming back)."""

    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self._controller: Controller | None = None

    def start(self) -> None:
        if self._controller is None:
            self._controller = Controller(
                self.inbox, hostname="127.0.0.1", port=self.port, server_hostname="localhost"
            )
            self._controller.start()

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()


@contextmanager
def running_smtp_server() -> Iterator[SMTPServer]:
    """A real SMTP server, until the block ends (failed or not)."""
    server = SMTPServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    """A real SMTP server for the length of one test."""
    with running_smtp_server() as server:
        yield server
