"""Links sent to people: the preference center and one-click unsubscribe (RFC 8058).

A link's token is the person's subject, the link's scope and its expiry, sealed with AES-GCM
under the installation's key: it cannot be forged or altered, and an address never appears
in a URL (so never in a proxy log). A token made for one use cannot serve another.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from lawful.consent.errors import LinkExpiredError, LinkRefusedError
from lawful.consent.models import ConsentEvent, ConsentState
from lawful.consent.policy import policy_for
from lawful.consent.service import (
    ConsentEntry,
    Evidence,
    contact_channel,
    purpose_rule,
    record_consent,
)
from lawful.consent.subjects import Subject, parse_subject
from lawful.datamap.models import DataMap
from lawful.store.crypto import DecryptionError, Keyring
from lawful.store.models import utcnow

PREFERENCES_DAYS = 30
# CAN-SPAM (15 U.S.C. §7704(a)(3)(A)(ii)) wants an unsubscribe link to work for at least
# 30 days after sending; people open old newsletters, so ours work for a year and a month.
UNSUBSCRIBE_DAYS = 395
_MAX_TOKEN = 1024


class LinkKind(StrEnum):
    preferences = "preferences"
    unsubscribe = "unsubscribe"


@dataclass(frozen=True)
class LinkClaims:
    kind: LinkKind
    subject: str  # the subject's key, e.g. "email:ann@example.org"
    expires: datetime
    channel: str | None = None
    purpose: str | None = None


def make_link_token(
    *,
    keyring: Keyring,
    kind: LinkKind,
    subject: Subject,
    channel: str | None = None,
    purpose: str | None = None,
    lifetime: timedelta | None = None,
    now: datetime | None = None,
) -> str:
    days = PREFERENCES_DAYS if kind is LinkKind.preferences else UNSUBSCRIBE_DAYS
    expires = (now or utcnow()) + (lifetime or timedelta(days=days))
    claims: dict[str, Any] = {"s": subject.key, "x": int(expires.timestamp())}
    if channel:
        claims["c"] = channel
    if purpose:
        claims["p"] = purpose
    sealed = keyring.encrypt_json(claims, context=f"consent.link.{kind.value}")
    return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode("ascii")


def read_link_token(
    token: str, *, keyring: Keyring, kind: LinkKind, now: datetime | None = None
) -> LinkClaims:
    """The claims of a token made by `make_link_token`; refused if altered, made by someone
    else, made for another kind of link, or expired."""
    claims = _open(token, keyring, kind)
    expires = datetime.fromtimestamp(int(claims["x"]), UTC)
    if expires <= (now or utcnow()):
        raise LinkExpiredError(
            f"This link expired on {expires:%d %B %Y}. Links from our emails work for a "
            "limited time: use the link in a more recent email, or ask us for a new one "
            "through the privacy center."
        )
    return LinkClaims(kind, str(claims["s"]), expires, claims.get("c"), claims.get("p"))


def _open(token: str, keyring: Keyring, kind: LinkKind) -> dict[str, Any]:
    refused = LinkRefusedError(
        "This link is not valid: it may have been cut or changed when it was copied. Open "
        "it again from the email we sent, or ask us for a new one through the privacy center."
    )
    if not token or len(token) > _MAX_TOKEN:
        raise refused
    try:
        sealed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        claims = keyring.decrypt_json(sealed, context=f"consent.link.{kind.value}")
    except (binascii.Error, ValueError, DecryptionError):
        raise refused from None
    if not isinstance(claims, dict) or "s" not in claims or "x" not in claims:
        raise refused
    return claims


def link_url(public_url: str, *, kind: LinkKind, token: str) -> str:
    base = public_url.rstrip("/")
    if kind is LinkKind.unsubscribe:
        return f"{base}/u/{token}"
    return f"{base}/privacy/preferences/{token}"


def unsubscribe_headers(*, url: str, mailto: str | None = None) -> dict[str, str]:
    """The headers a marketing email carries so that mail clients offer a one-click
    unsubscribe (RFC 8058 §3.1; RFC 2369 §3.2 for `List-Unsubscribe`). The HTTPS link
    comes first: RFC 8058 one-click applies to it."""
    targets = [f"<{url}>"]
    if mailto:
        targets.append(f"<mailto:{mailto}?subject=unsubscribe>")
    return {
        "List-Unsubscribe": ", ".join(targets),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def issue_link(
    *,
    datamap: DataMap,
    keyring: Keyring,
    public_url: str,
    kind: LinkKind,
    subject: str,
    channel: str | None = None,
    purpose: str | None = None,
    now: datetime | None = None,
) -> str:
    """A link for one person, checked against the map before it is made."""
    policy = policy_for(datamap)
    person = parse_subject(subject, policy=policy)
    if channel is not None:
        contact_channel(channel)
    if purpose is not None:
        purpose_rule(policy, purpose)
    if kind is LinkKind.unsubscribe and channel is None:
        channel = "email"
    token = make_link_token(
        keyring=keyring, kind=kind, subject=person, channel=channel, purpose=purpose, now=now
    )
    return link_url(public_url, kind=kind, token=token)


def unsubscribe(
    session: Session,
    *,
    datamap: DataMap,
    keyring: Keyring,
    token: str,
    evidence: Evidence | None = None,
    now: datetime | None = None,
) -> list[ConsentEvent]:
    """Stop the link's channel (for its purpose, or for all marketing) at once: the event is
    in the ledger when this returns, so the next check already says no (RFC 8058 §3.2)."""
    claims = read_link_token(token, keyring=keyring, kind=LinkKind.unsubscribe, now=now)
    entry = ConsentEntry(
        subject=claims.subject,
        state=ConsentState.withdrawn,
        channel="email",
        method="one_click_unsubscribe",
        purposes=(claims.purpose,) if claims.purpose else (),
        contact_channel=claims.channel or "email",
        evidence=evidence,
    )
    return record_consent(
        session, datamap=datamap, keyring=keyring, entry=entry, actor="subject", now=now
    )
