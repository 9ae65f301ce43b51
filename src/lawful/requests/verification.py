"""Proof of identity: one-time codes, the level each request type needs, ID documents.

Codes are 6 digits from the operating system's CSPRNG, stored only as a keyed hash (HMAC),
valid 15 minutes and locked after 5 wrong tries — the limits Lawful sets for itself (issue
#4), in line with GDPR Art. 12(6) (reasonable measures to confirm identity) and 11 CCR
§7060(c) (a verification method proportionate to the request). No law fixes the number of
tries: 5 is a policy, well inside NIST SP 800-63B §5.2.2 (at most 100 consecutive failures).
Every limit here holds under parallel requests: tries are counted by one conditional UPDATE,
codes sent and documents by counting under the request's row lock.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from lawful.datamap.models import Jurisdiction
from lawful.law.requests import REQUEST_TYPES, RequestType, right_under
from lawful.requests import repository
from lawful.requests.errors import (
    CodeLockedError,
    CodeRejectedError,
    UploadRejectedError,
    UploadTooLargeError,
)
from lawful.requests.models import CodePurpose, RightsRequest, VerificationCode, VerificationLevel
from lawful.store.crypto import Keyring

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=15)
MAX_WRONG_CODES = 5
MAX_CODES = 10  # per request and purpose: resending cannot be used to flood a mailbox
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
# File signatures ("magic bytes"): what the file is, whatever its name or declared type says.
SIGNATURES: Mapping[str, bytes] = {
    "application/pdf": b"%PDF-",
    "image/jpeg": b"\xff\xd8\xff",
    "image/png": b"\x89PNG\r\n\x1a\n",
}
_STRENGTH = {
    VerificationLevel.none: 0,
    VerificationLevel.email_code: 1,
    VerificationLevel.data_points: 2,
    VerificationLevel.id_document: 3,
}


def required_level(
    request_type: RequestType,
    jurisdiction: Jurisdiction | None,
    configured: Mapping[str, str],
) -> VerificationLevel:
    """The law's level (a code when it asks for proof, none when it does not), raised to the
    level configured for the type; configuration can ask for more proof, never for less."""
    right = right_under(request_type, jurisdiction) if jurisdiction else None
    needs_proof = right.verify_identity if right else REQUEST_TYPES[request_type].verify_identity
    legal = VerificationLevel.email_code if needs_proof else VerificationLevel.none
    wanted = configured.get(request_type.value)
    if wanted is None:
        return legal
    level = VerificationLevel(wanted)
    return level if _STRENGTH[level] > _STRENGTH[legal] else legal


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def _code_hash(keyring: Keyring, request: RightsRequest, purpose: CodePurpose, code: str) -> str:
    return keyring.index(f"request-code/{purpose.value}/{request.id}/{code.strip()}")


def issue_code(
    session: Session,
    *,
    keyring: Keyring,
    request: RightsRequest,
    purpose: CodePurpose,
    now: datetime,
) -> str:
    """A fresh code (the earlier ones stop working); refused once the purpose is locked or
    MAX_CODES were sent. The request's row is held first, so parallel resends count exactly."""
    repository.lock_request(session, request_id=request.id)
    codes = repository.codes(session, request_id=request.id, purpose=purpose)
    if any(c.locked_at is not None for c in codes):
        raise CodeLockedError(_LOCKED, field="code")
    if len(codes) >= MAX_CODES:
        raise CodeLockedError(
            f"{MAX_CODES} codes were already sent for this request: no more are sent. "
            "Contact us to confirm who you are another way.",
            field="code",
        )
    for earlier in codes:
        if earlier.used_at is None:
            earlier.used_at = now  # superseded
    code = new_code()
    session.add(
        VerificationCode(
            request_id=request.id,
            purpose=purpose,
            code_hash=_code_hash(keyring, request, purpose, code),
            created_at=now,
            expires_at=now + CODE_LIFETIME,
            attempts=0,
        )
    )
    session.flush()
    return code


_LOCKED = (
    f"This code was entered wrongly {MAX_WRONG_CODES} times, so it is locked to protect your "
    "data. Make a new request, or contact us to have it checked another way."
)


@dataclass(frozen=True)
class CodeOutcome:
    """The result of a try. A wrong try is counted in the database, so the caller must commit
    even when `error` is set, and only then report the error."""

    error: CodeRejectedError | CodeLockedError | None
    locked_now: bool = False

    @property
    def accepted(self) -> bool:
        return self.error is None


def check_code(
    session: Session,
    *,
    keyring: Keyring,
    request: RightsRequest,
    purpose: CodePurpose,
    code: str,
    now: datetime,
) -> CodeOutcome:
    """Compare `code` with the latest one sent. The try is counted first, by one conditional
    UPDATE (`repository.take_code_attempt`), and only a counted try is compared: parallel
    tries cannot take more than MAX_WRONG_CODES between them, and a right code sent after
    the limit is refused. The fifth wrong try locks the code."""
    current = repository.latest_code(session, request_id=request.id, purpose=purpose)
    if current is not None and current.locked_at is not None:
        return CodeOutcome(CodeLockedError(_LOCKED, field="code"))
    if current is None or current.used_at is not None:
        return CodeOutcome(_no_code())
    if now > current.expires_at:
        minutes = int(CODE_LIFETIME.total_seconds() // 60)
        message = f"This code has expired (codes last {minutes} minutes): ask for a new one."
        return CodeOutcome(CodeRejectedError(message, field="code"))
    attempt = repository.take_code_attempt(session, code_id=current.id, limit=MAX_WRONG_CODES)
    if attempt is None:  # a parallel try used, locked or exhausted it first
        session.refresh(current)
        locked = CodeLockedError(_LOCKED, field="code")
        return CodeOutcome(_no_code() if current.used_at else locked)
    expected = _code_hash(keyring, request, purpose, code)
    if hmac.compare_digest(expected, current.code_hash):
        repository.close_code(session, code_id=current.id, now=now, lock=False)
        return CodeOutcome(None)
    if attempt >= MAX_WRONG_CODES:
        repository.close_code(session, code_id=current.id, now=now, lock=True)
        return CodeOutcome(CodeLockedError(_LOCKED, field="code"), locked_now=True)
    left = MAX_WRONG_CODES - attempt
    message = f"That code is not right. You have {left} more {'try' if left == 1 else 'tries'}."
    return CodeOutcome(CodeRejectedError(message, field="code"))


def _no_code() -> CodeRejectedError:
    return CodeRejectedError("No code is waiting: ask for a new one.", field="code")


@dataclass(frozen=True)
class Upload:
    """A file as received at the edge: its bytes, and what the sender called it."""

    data: bytes
    filename: str = ""
    declared_type: str = ""


def check_document(upload: Upload) -> str:
    """The real content type of an ID document, by its first bytes; raises UploadTooLargeError
    (over 5 MB) or UploadRejectedError (not a PDF, JPEG or PNG)."""
    if len(upload.data) > MAX_DOCUMENT_BYTES:
        size = len(upload.data) / (1024 * 1024)
        raise UploadTooLargeError(
            f"The file is {size:.1f} MB; the limit is {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB. "
            "Send a smaller scan or photo.",
            field="document",
        )
    if not upload.data:
        raise UploadRejectedError("The file is empty.", field="document")
    for content_type, signature in SIGNATURES.items():
        if upload.data.startswith(signature):
            return content_type
    raise UploadRejectedError(
        "Send the ID document as a PDF, JPEG or PNG file; this file is none of these.",
        field="document",
    )
