"""The demo outbox: with no SMTP server configured (`LAWFUL_SMTP_HOST` unset), mail to people
is written as `.eml` files into `<data_dir>/outbox/` instead of being sent; this page shows
them, so someone trying the demo can read their verification code. In production, configure
SMTP: then nothing is written there and this page says so."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lawful.http.auth import platform_of
from lawful.http.deps import CurrentStaff, PersonData
from lawful.http.templating import render
from lawful.requests.mail import OUTBOX_FOLDER

router = APIRouter(include_in_schema=False, dependencies=[PersonData])  # Art. 32(4)
SHOWN = 50


@dataclass(frozen=True)
class OutboxMail:
    file: str
    sent_at: datetime | None
    to: str
    subject: str
    text: str


def outbox_dir(data_dir: Path) -> Path:
    return data_dir / OUTBOX_FOLDER


def read_outbox(folder: Path, *, limit: int = SHOWN) -> list[OutboxMail]:
    """The newest mails in the outbox folder, newest first (file names start with the time)."""
    if not folder.is_dir():
        return []
    files = sorted(folder.glob("*.eml"), key=lambda p: p.name, reverse=True)
    return [_read(path) for path in files[:limit]]


def _read(path: Path) -> OutboxMail:
    with path.open("rb") as handle:
        message = BytesParser(policy=policy.default).parse(handle)
    assert isinstance(message, EmailMessage)
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    date = message.get("Date")
    sent_at = parsedate_to_datetime(str(date)).astimezone(UTC) if date else None
    return OutboxMail(
        path.name, sent_at, str(message.get("To", "")), str(message.get("Subject", "")), str(text)
    )


@router.get("/admin/outbox", response_class=HTMLResponse)
def outbox(request: Request, staff: CurrentStaff) -> HTMLResponse:
    platform = platform_of(request)
    folder = outbox_dir(platform.settings.data_dir)
    context = {
        "active": "outbox",
        "smtp": bool(getattr(platform.settings, "smtp_host", None)),
        "folder": folder,
        "mails": read_outbox(folder),
    }
    return render(request, "admin/outbox.html.j2", context)
