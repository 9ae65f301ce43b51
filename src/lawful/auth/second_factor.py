"""The second factor of a staff sign-in: TOTP codes (RFC 6238) from an authenticator app, and
one-time recovery codes for a lost phone.

The TOTP secret is sealed at rest (AES-GCM) like every secret the platform keeps; recovery
codes are stored as keyed hashes. A code is accepted once: the time step it belongs to is
claimed in one statement (`repository.claim_totp_step`), so the same code sent twice, even at
the same moment, signs in once (RFC 6238 §5.2: "the verifier MUST NOT accept the second
attempt of the same OTP").
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
import qrcode
import qrcode.image.svg
from sqlalchemy.orm import Session

from lawful.auth import repository
from lawful.auth.errors import SecondFactorError
from lawful.auth.models import StaffUser
from lawful.auth.service import _audit, user_email
from lawful.store.crypto import Keyring

_SECRET_CONTEXT = "staff_user.totp_secret"  # noqa: S105 — an encryption context label
ISSUER = "Lawful"
RECOVERY_CODES = 10
# RFC 6238 §5.2: accept the previous and next time step too, for clocks a little apart.
VALID_WINDOW = 1
MAX_CODE_FAILURES = 5  # wrong codes before a pending sign-in is ended


@dataclass(frozen=True)
class Enrolment:
    secret: str  # base32, shown for apps that cannot scan
    uri: str  # otpauth://…
    qr_svg: str  # the URI as an SVG QR code, inline in the page


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret)


def _secret(keyring: Keyring, user: StaffUser) -> str | None:
    if user.totp_secret_sealed is None:
        return None
    return keyring.decrypt(user.totp_secret_sealed, context=_SECRET_CONTEXT).decode()


def start_enrolment(session: Session, *, keyring: Keyring, user: StaffUser) -> Enrolment:
    """A new secret for `user` (sealed, not in force until a code from it is confirmed); an
    enrolment already started is shown again rather than replaced."""
    if user.two_factor:
        raise SecondFactorError("A second factor is on already: turn it off first to change it.")
    secret = _secret(keyring, user)
    if secret is None:
        secret = pyotp.random_base32()
        user.totp_secret_sealed = keyring.encrypt(secret.encode(), context=_SECRET_CONTEXT)
        session.flush()
    uri = _totp(secret).provisioning_uri(name=user_email(keyring, user), issuer_name=ISSUER)
    return Enrolment(secret=secret, uri=uri, qr_svg=_qr_svg(uri))


def _qr_svg(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg") :]  # no XML declaration inside the HTML page


def _check_code(
    session: Session, *, keyring: Keyring, user: StaffUser, code: str, now: datetime
) -> bool:
    secret = _secret(keyring, user)
    digits = "".join(code.split())
    if secret is None or len(digits) != 6 or not digits.isdigit():
        return False
    totp = _totp(secret)
    current = totp.timecode(now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if secrets.compare_digest(totp.generate_otp(step), digits):
            return repository.claim_totp_step(session, user_id=user.id, step=step)
    return False


def confirm_enrolment(
    session: Session, *, keyring: Keyring, user: StaffUser, code: str, now: datetime
) -> list[str]:
    """Turn the second factor on with a first code from the app; the recovery codes, shown
    once."""
    if user.two_factor:
        raise SecondFactorError("A second factor is on already.")
    if not _check_code(session, keyring=keyring, user=user, code=code, now=now):
        raise SecondFactorError(
            "This code does not match. Type the 6 digits your app shows now (check the "
            "phone's clock if it keeps failing).",
            field="code",
        )
    user.totp_enabled_at = now
    codes = _new_recovery_codes(session, keyring=keyring, user=user)
    _audit(session, f"staff:{user.id}", "staff.two_factor_enabled", user.id, {})
    return codes


def _recovery_hash(keyring: Keyring, user_id: str, code: str) -> str:
    normal = code.strip().lower().replace("-", "").replace(" ", "")
    return keyring.index(f"staff.recovery={user_id}:{normal}")


def _new_recovery_codes(session: Session, *, keyring: Keyring, user: StaffUser) -> list[str]:
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    hashes = [_recovery_hash(keyring, user.id, code) for code in codes]
    repository.replace_recovery_codes(session, user_id=user.id, hashes=hashes)
    return codes


def verify_second_factor(
    session: Session, *, keyring: Keyring, user: StaffUser, code: str, now: datetime
) -> bool:
    """A TOTP code, or one of the recovery codes (spent by its use)."""
    if _check_code(session, keyring=keyring, user=user, code=code, now=now):
        return True
    if "-" in code and len(code.strip()) <= 20:
        spent = repository.spend_recovery_code(
            session, user_id=user.id, code_hash=_recovery_hash(keyring, user.id, code), now=now
        )
        if spent:
            _audit(session, f"staff:{user.id}", "staff.recovery_code_used", user.id, {})
        return spent
    return False


def turn_off(session: Session, *, user: StaffUser, actor: str) -> None:
    """Remove the second factor (the person lost their phone, or chose to): secret and
    recovery codes are deleted."""
    user.totp_secret_sealed = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    repository.replace_recovery_codes(session, user_id=user.id, hashes=[])
    _audit(session, actor, "staff.two_factor_removed", user.id, {})


def remaining_recovery_codes(session: Session, *, user: StaffUser) -> int:
    return repository.unused_recovery_codes(session, user_id=user.id)
