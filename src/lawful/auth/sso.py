"""Single sign-on: which staff account a verified email from the OpenID Connect provider
signs in as. The protocol itself (auth code with PKCE, state, nonce, the ID token's
signature and claims) is checked by the web layer before it calls `account_for`.

Only an email the provider says it verified maps to an account (OIDC Core §5.1:
`email_verified`), and only to an active one: a deactivated account or a pending invitation
stays out. An unknown email gets no account unless `oidc_create_role` allows it. Every
refusal is audited with the email's blind index only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from lawful.auth import repository
from lawful.auth.errors import AuthError
from lawful.auth.models import Role, StaffUser
from lawful.auth.service import _audit, _checked_email, email_index
from lawful.store.crypto import Keyring

_EMAIL_CONTEXT = "staff_user.email"
NO_PASSWORD = "!sso"  # noqa: S105 — not an argon2 hash: no password ever matches it


class SsoRefusedError(AuthError):
    http_status = 403
    code = "forbidden"


def account_for(
    session: Session,
    *,
    keyring: Keyring,
    email: str | None,
    verified: bool,
    name: str | None,
    create_role: Role | None,
    now: datetime,
) -> StaffUser:
    """The active staff account of the provider's verified `email`, made first when
    `create_role` allows; else SsoRefusedError with what to do."""
    if not email:
        _refused(session, "anonymous", "no_email")
        raise SsoRefusedError(
            "The sign-in service did not share your email address, so we cannot tell which "
            "account is yours. Ask your administrator to allow the `email` scope for Lawful."
        )
    address = _checked_email(email)
    index = email_index(keyring, address)
    if not verified:
        _refused(session, index, "email_not_verified")
        raise SsoRefusedError(
            "The sign-in service has not verified your email address. Verify it there, "
            "then try again."
        )
    user = repository.user_by_email_index(session, index)
    if user is None and create_role is not None:
        user = StaffUser(
            email_index=index,
            email_sealed=keyring.encrypt(address.encode(), context=_EMAIL_CONTEXT),
            name=(name or address.split("@")[0]).strip()[:200],
            role=create_role,
            password_hash=NO_PASSWORD,
            active=True,
            created_at=now,
        )
        session.add(user)
        session.flush()
        _audit(session, "sso", "staff.user_created", user.id,
               {"role": create_role.value, "by": "single sign-on"})  # fmt: skip
    if user is None:
        _refused(session, index, "no_account")
        raise SsoRefusedError(
            "There is no staff account for your email address. Ask an administrator to invite "
            "you (Users page), then sign in again."
        )
    if not user.active:
        _refused(session, index, "inactive")
        raise SsoRefusedError(
            "Your staff account is deactivated, or its invitation is not accepted yet. Ask an "
            "administrator."
        )
    user.last_sign_in_at = now
    return user


def _refused(session: Session, subject: str, reason: str) -> None:
    _audit(session, "anonymous", "staff.sso_refused", subject, {"reason": reason})
