"""Mail to people (receipt, codes, extension, completion, denial) and to clients (forwards):
plain text and HTML from the Jinja templates in `templates/`, sent over real SMTP.

Nothing personal is logged: not the address, not the code, not the server's reply (an SMTP
error can quote the recipient).
"""

from __future__ import annotations

import logging
import os
import secrets
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from jinja2 import Environment

from lawful.config import Settings
from lawful.datamap.models import DataMap
from lawful.jinja import environment, package_templates

logger = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 30


class MailError(Exception):
    """The mail could not be handed to the SMTP server; the message holds no address."""


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str
    kind: str  # template name: logged instead of the address


class Mailer(Protocol):
    def send(self, mail: Mail) -> None:
        """Deliver `mail` or raise MailError."""


SUBJECTS = {
    "receipt": "We received your request {reference}",
    "verification_code": "Your code for request {reference}",
    "download_code": "Your code to download your data ({reference})",
    "extension": "More time is needed for your request {reference}",
    "completion": "Your request {reference} is complete",
    "denial": "Our answer to your request {reference}",
    "expired": "Your request {reference} was closed",
    "cancelled": "Your request {reference} was cancelled",
    "client_forward": "Rights request {reference} for data you control",
    "preferences_code": "Your code to open your contact preferences",
}


@cache
def _templates() -> Environment:
    return environment(package_templates("lawful.requests", "templates/mail"))


def render_mail(kind: str, *, to: str, context: dict[str, Any]) -> Mail:
    """The mail `kind` (a key of SUBJECTS) in plain text and HTML."""
    env = _templates()
    text = env.get_template(f"{kind}.txt.j2").render(**context)
    html = env.get_template(f"{kind}.html.j2").render(**context)
    subject = SUBJECTS[kind].format(reference=context.get("reference", ""))
    return Mail(to=to, subject=subject, text=text, html=html, kind=kind)


def _message(mail: Mail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or None)
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


# Only when neither LAWFUL_SMTP_FROM nor the map gives an address (a map without one).
FALLBACK_SENDER = "privacy@localhost"


def sender_of(settings: Settings, datamap: DataMap | None) -> str:
    """The From of mail to people: LAWFUL_SMTP_FROM, else the organisation's name with its
    privacy address (where people exercise their rights), else its contact address."""
    if settings.smtp_from:
        return settings.smtp_from
    if datamap is None:
        return FALLBACK_SENDER
    org = datamap.organization
    address = (org.requests.email if org.requests else None) or org.contact.email
    if not address or not parseaddr(address)[1]:
        return FALLBACK_SENDER
    return formataddr((org.trading_name or org.name, address))


class SMTPMailer:
    """Sends through `LAWFUL_SMTP_HOST`, with STARTTLS and login when configured."""

    def __init__(self, settings: Settings, *, sender: str | None = None) -> None:
        if not settings.smtp_host:
            raise MailError("LAWFUL_SMTP_HOST is not set: no SMTP server to send mail through")
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.user = settings.smtp_user
        self.password = (
            settings.smtp_password.get_secret_value() if settings.smtp_password else None
        )
        self.sender = sender or settings.smtp_from or FALLBACK_SENDER
        self.starttls = settings.smtp_starttls

    def send(self, mail: Mail) -> None:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(_message(mail, self.sender))
        except (OSError, smtplib.SMTPException) as error:
            logger.warning("mail %s not sent: %s", mail.kind, type(error).__name__)
            raise MailError(
                f"the SMTP server {self.host}:{self.port} did not accept the {mail.kind} mail "
                f"({type(error).__name__}); check LAWFUL_SMTP_* and the server's log"
            ) from None
        logger.info("mail %s sent", mail.kind)


@dataclass
class MemoryMailer:
    """Keeps mail in memory instead of sending it (tests that need no SMTP server)."""

    sent: list[Mail] = field(default_factory=list)

    def send(self, mail: Mail) -> None:
        self.sent.append(mail)


class OutboxMailer:
    """Writes each mail as an `.eml` file (mode 0600) into a folder instead of sending it:
    the demo without an SMTP server, whose admin console shows the outbox. Never use it in
    production: people would get nothing."""

    def __init__(self, folder: Path, *, sender: str = FALLBACK_SENDER) -> None:
        self.folder = folder
        self.sender = sender

    def send(self, mail: Mail) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{secrets.token_hex(4)}-{mail.kind}.eml"
        descriptor = os.open(self.folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(bytes(_message(mail, self.sender)))
        logger.warning(
            "mail %s written to the outbox, not sent: LAWFUL_SMTP_HOST is not set", mail.kind
        )


OUTBOX_FOLDER = "outbox"


def mailer_from_settings(
    settings: Settings, *, datamap: DataMap | None = None
) -> SMTPMailer | OutboxMailer:
    """SMTP when `LAWFUL_SMTP_HOST` is set; otherwise `<data_dir>/outbox/` (demo only). The
    sender comes from `sender_of`."""
    sender = sender_of(settings, datamap)
    if settings.smtp_host:
        return SMTPMailer(settings, sender=sender)
    return OutboxMailer(settings.data_dir / OUTBOX_FOLDER, sender=sender)
