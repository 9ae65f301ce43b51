"""Into the preference center from the privacy center, by a code sent to the address.

The person gives an email address and gets a code by mail; the right code opens their
preference center (the same page a signed link opens). The answer is the same whether or
not the address is known — every address may keep preferences, so a code goes to any
address — and at most `CODES_PER_HOUR` codes go to one address each clock hour (a unique
slot per code, so requests at once cannot pass it). A code works once, for 15 minutes, and
`MAX_TRIES` tries (counted by one conditional UPDATE, so tries at once cannot pass it).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lawful.engine.identity import normalise_email
from lawful.requests.errors import InvalidInputError
from lawful.requests.models import PreferenceCode
from lawful.requests.verification import CODE_LIFETIME, new_code
from lawful.store.audit import record_event
from lawful.store.crypto import Keyring
from lawful.store.models import new_id

CODES_PER_HOUR = 3
MAX_TRIES = 5
SUBJECT_TYPE = "preference_code"
_SEALED = "preference_code_email"


@dataclass(frozen=True)
class CodeAsked:
    """`challenge` goes in the browser's cookie (it names the code, not the person); `code`
    is to be mailed, None when the address had its codes for this hour (nothing is mailed,
    and the person is told the same)."""

    challenge: str
    email: str
    code: str | None


def ask_preferences_code(
    session: Session, *, keyring: Keyring, email: str, now: datetime
) -> CodeAsked:
    """A code for `email`, unless it had `CODES_PER_HOUR` this hour. The caller commits, then
    mails the code."""
    try:
        address = normalise_email(email)
    except ValueError:
        raise InvalidInputError(
            "Check your email address: it should look like name@example.org.", field="email"
        ) from None
    hour = now.strftime("%Y%m%d%H")
    index = keyring.index(f"preference-code/{address}")
    code = new_code()
    for number in range(CODES_PER_HOUR):
        row = PreferenceCode(
            id=new_id(),
            slot=f"{index[:64]}:{hour}:{number}",
            email_sealed=keyring.encrypt(address.encode(), context=_SEALED),
            code_hash="",
            created_at=now,
            expires_at=now + CODE_LIFETIME,
            attempts=0,
        )
        row.code_hash = _hash(keyring, row.id, code)
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:  # this slot is taken: try the next one
            continue
        record_event(session, actor="person", action="preferences.code_sent",
                     subject_type=SUBJECT_TYPE, subject_id=row.id, details={}, at=now)  # fmt: skip
        return CodeAsked(row.id, address, code)
    # Limited: a challenge that matches nothing, so the answer looks the same.
    record_event(session, actor="person", action="preferences.code_limited",
                 subject_type=SUBJECT_TYPE, subject_id=index[:32], details={}, at=now)  # fmt: skip
    return CodeAsked(new_id(), address, None)


@dataclass(frozen=True)
class CodeChecked:
    """`subject` (`email:<address>`) when the code was right; else `error`, for the person."""

    subject: str | None = None
    error: str = ""


def check_preferences_code(
    session: Session, *, keyring: Keyring, challenge: str, code: str, now: datetime
) -> CodeChecked:
    """Count the try first (a wrong one counts even if the caller fails later), then
    compare; a right code is used up at once. The caller commits either way."""
    counted = session.execute(
        update(PreferenceCode)
        .where(
            PreferenceCode.id == challenge,
            PreferenceCode.used_at.is_(None),
            PreferenceCode.expires_at > now,
            PreferenceCode.attempts < MAX_TRIES,
        )
        .values(attempts=PreferenceCode.attempts + 1)
        .returning(PreferenceCode.attempts, PreferenceCode.code_hash, PreferenceCode.email_sealed)
    ).one_or_none()
    if counted is None:
        return CodeChecked(error="This code no longer works: ask for a new one below.")
    attempts, code_hash, sealed = counted
    if not hmac.compare_digest(code_hash, _hash(keyring, challenge, code.strip())):
        left = MAX_TRIES - attempts
        if left <= 0:
            return CodeChecked(error="That code is not right, and no tries are left: ask for "
                               "a new one below.")  # fmt: skip
        return CodeChecked(error=f"That code is not right. {left} more "
                           f"{'try' if left == 1 else 'tries'}.")  # fmt: skip
    used = session.execute(
        update(PreferenceCode)
        .where(PreferenceCode.id == challenge, PreferenceCode.used_at.is_(None))
        .values(used_at=now)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]  # the same code, entered twice at once
        return CodeChecked(error="This code no longer works: ask for a new one below.")
    address = keyring.decrypt(sealed, context=_SEALED).decode()
    record_event(session, actor="person", action="preferences.opened_by_code",
                 subject_type=SUBJECT_TYPE, subject_id=challenge, details={}, at=now)  # fmt: skip
    return CodeChecked(subject=f"email:{address}")


def _hash(keyring: Keyring, challenge: str, code: str) -> str:
    return keyring.index(f"preference-code/{challenge}/{code}")
