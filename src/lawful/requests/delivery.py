"""Delivery of access and portability packages (DESIGN.md §3.6).

The ZIP is sealed with AES-GCM under the installation's keyring as soon as it is built and
is never written anywhere in clear. To download it, the person asks for a fresh code (sent
to the address that was verified), enters it, and gets a link that works once, for a few
minutes, and only in the browser session that entered the code.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from lawful.requests import repository
from lawful.requests.context import RequestsContext
from lawful.requests.errors import DownloadGoneError, DownloadRefusedError
from lawful.requests.models import CodePurpose, DownloadLink, RequestPackage, RightsRequest
from lawful.requests.service import PERSON, POLICY, get_request, queue_mail
from lawful.requests.states import COMPLIED
from lawful.requests.timeline import record
from lawful.requests.verification import CodeOutcome, check_code, issue_code
from lawful.store.models import new_id, utcnow

ZIP = "application/zip"


def _context(package_id: str) -> str:
    return f"request_package:{package_id}"


def store_package(
    session: Session,
    *,
    ctx: RequestsContext,
    request: RightsRequest,
    content: bytes,
    file_name: str,
    now: datetime | None = None,
) -> RequestPackage:
    """Seal the package and keep it for `package_days`."""
    now = now or utcnow()
    package = RequestPackage(
        id=new_id(),
        request_id=request.id,
        file_name=file_name,
        size=len(content),
        created_at=now,
        expires_at=now + timedelta(days=ctx.policy.package_days),
        downloads=0,
    )
    package.sealed = ctx.keyring.encrypt(content, context=_context(package.id))
    session.add(package)
    record(
        session,
        request=request,
        actor=POLICY,
        action="package_stored",
        now=now,
        details={"package": package.id, "size": len(content)},
    )
    return package


def _ready_package(session: Session, request: RightsRequest, now: datetime) -> RequestPackage:
    package = repository.latest_package(session, request_id=request.id)
    if request.status not in COMPLIED or package is None:
        raise DownloadGoneError("There is no package to download for this request.")
    if now > package.expires_at:
        raise DownloadGoneError(
            "The package is no longer available: it was kept for "
            f"{(package.expires_at - package.created_at).days} days. Make a new request."
        )
    return package


def send_download_code(
    session: Session, *, ctx: RequestsContext, reference: str, now: datetime | None = None
) -> RightsRequest:
    """A fresh code to the verified address, to be entered before the link is given."""
    now = now or utcnow()
    request = get_request(session, reference=reference)
    _ready_package(session, request, now)
    code = issue_code(
        session, keyring=ctx.keyring, request=request, purpose=CodePurpose.download, now=now
    )
    record(session, request=request, actor=PERSON, action="download_code_sent", now=now)
    queue_mail(session, ctx=ctx, request=request, kind="download_code", secret={"code": code})
    return request


@dataclass(frozen=True)
class LinkOutcome:
    """`token` for the link when the code was right; otherwise `code.error`. The caller
    commits either way (a wrong try counts), then reports the error."""

    code: CodeOutcome
    token: str | None = None
    expires_at: datetime | None = None


def _session_hash(ctx: RequestsContext, browser_session: str) -> str:
    if len(browser_session) < 16:
        raise DownloadRefusedError("The browser session is missing: reload the page and retry.")
    return ctx.keyring.index(f"download-browser-session/{browser_session}")


def confirm_download_code(
    session: Session,
    *,
    ctx: RequestsContext,
    reference: str,
    code: str,
    browser_session: str,
    now: datetime | None = None,
) -> LinkOutcome:
    """Check the download code; on success, a single-use link bound to `browser_session`
    (an opaque id the web layer keeps in the person's cookie)."""
    now = now or utcnow()
    request = get_request(session, reference=reference)
    package = _ready_package(session, request, now)
    bound = _session_hash(ctx, browser_session)
    outcome = check_code(
        session,
        keyring=ctx.keyring,
        request=request,
        purpose=CodePurpose.download,
        code=code,
        now=now,
    )
    if outcome.error is not None:
        action = "download_code_locked" if outcome.locked_now else "download_code_rejected"
        record(session, request=request, actor=PERSON, action=action, now=now)
        return LinkOutcome(outcome)
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(minutes=ctx.policy.download_link_minutes)
    session.add(
        DownloadLink(
            package_id=package.id,
            token_hash=_link_hash(ctx, token),
            session_hash=bound,
            created_at=now,
            expires_at=expires,
        )
    )
    record(session, request=request, actor=PERSON, action="download_link_issued", now=now)
    return LinkOutcome(outcome, token, expires)


def _link_hash(ctx: RequestsContext, token: str) -> str:
    return ctx.keyring.index(f"download-link/{token}")


@dataclass(frozen=True)
class Download:
    file_name: str
    content: bytes
    content_type: str = ZIP


def open_download(
    session: Session,
    *,
    ctx: RequestsContext,
    token: str,
    browser_session: str,
    now: datetime | None = None,
) -> Download:
    """The package, once: refused from another browser session, after expiry, after use."""
    now = now or utcnow()
    link = repository.link_by_token(session, token_hash=_link_hash(ctx, token))
    if link is None:
        raise DownloadRefusedError("This download link is not valid: ask for a new one.")
    package = session.get(RequestPackage, link.package_id)
    request = repository.by_id(session, request_id=package.request_id) if package else None
    if package is None or request is None:
        raise DownloadGoneError("The package is no longer available.")
    _check_link(ctx, link, browser_session, now)
    if not repository.claim_link(session, link_id=link.id, now=now):
        raise DownloadGoneError(_USED)
    _ready_package(session, request, now)
    repository.count_download(session, package_id=package.id)
    record(
        session,
        request=request,
        actor=PERSON,
        action="downloaded",
        now=now,
        details={"package": package.id},
    )
    content = ctx.keyring.decrypt(package.sealed, context=_context(package.id))
    return Download(package.file_name, content)


_USED = "This download link was already used: ask for a new code to download again."


def _check_link(
    ctx: RequestsContext, link: DownloadLink, browser_session: str, now: datetime
) -> None:
    if link.used_at is not None:
        raise DownloadGoneError(_USED)
    if now > link.expires_at:
        raise DownloadGoneError("This download link has expired: ask for a new code.")
    if not hmac.compare_digest(_session_hash(ctx, browser_session), link.session_hash):
        raise DownloadRefusedError(
            "This link works only in the browser where the code was entered."
        )
