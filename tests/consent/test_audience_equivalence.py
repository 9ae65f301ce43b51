"""The fast audience filter gives exactly the answers of the filter it replaced
(tests/support/audience_reference.py) on a randomized ledger of 10,000 people: consents,
refusals, withdrawals, expired and expiring consents, channel opt-outs, objections, events
recorded at the same instant, people known under two identities, and the suppression list."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from tests.support import audience_reference

from lawful.consent.audience import filter_audience
from lawful.consent.models import ConsentEvent, NoticePurpose, NoticeVersion
from lawful.consent.service import SUBJECT_CONTEXT
from lawful.datamap.models import DataMap
from lawful.engine.models import Suppression
from lawful.store.crypto import Keyring

from .conftest import NOW

PEOPLE = 10_000
STATES = ("given", "given", "given", "refused", "withdrawn", "expired")
# (purpose, channel): consent-based on two channels, legitimate interest, an undeclared channel
CASES = [("newsletter", "email"), ("newsletter", "sms"), ("calls", "phone"), ("calls", "email")]


def _email(n: int) -> str:
    return f"person{n}@example.org"


def _phone(n: int) -> str:
    return f"+3361{n:07d}"


def _seed(db: Session, keyring: Keyring, rng: random.Random) -> None:
    """Each person has 0–4 events under their email or their phone number, about a purpose
    or a whole channel; a fifth of the times are shared with another event."""
    events: list[dict[str, Any]] = []
    suppressed: list[dict[str, Any]] = []
    moments = [NOW - timedelta(days=rng.randrange(0, 900)) for _ in range(PEOPLE // 5)]
    for n in range(PEOPLE):
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3, 4))):
            kind, value = rng.choice(
                (("email", _email(n)), ("email", _email(n)), ("phone", _phone(n)))
            )
            key = f"{kind}:{value}"
            scope = rng.random()
            purpose = rng.choice(("newsletter", "calls")) if scope < 0.75 else None
            contact_channel = (
                rng.choice(("email", "sms", "phone")) if purpose is None or scope < 0.15 else None
            )
            at = (
                rng.choice(moments)
                if rng.random() < 0.2
                else NOW - timedelta(minutes=rng.randrange(0, 1_300_000))
            )
            expires = rng.random()
            events.append({
                "uid": uuid.uuid4().hex, "subject_index": keyring.index(key), "subject_type": kind,
                "subject_sealed": keyring.encrypt(key.encode(), context=SUBJECT_CONTEXT),
                "purpose": purpose, "contact_channel": contact_channel, "cookie_category": None,
                "state": rng.choice(STATES), "notice_version": "1", "notice_sha256": "0" * 64,
                "channel": "web_form", "method": "checkbox", "language": "en", "actor": "subject",
                "at": at, "recorded_at": at, "evidence_sealed": None,
                "expires_at": None if expires < 0.6 else at + timedelta(days=rng.randrange(1, 800)),
            })  # fmt: skip
        if rng.random() < 0.03:
            kind, value = rng.choice((("email", _email(n)), ("phone", _phone(n))))
            suppressed.append({"identity_type": kind, "created_at": NOW,
                               "identity_hash": keyring.suppression_hash(f"{kind}:{value}")})  # fmt: skip
    db.execute(sa.insert(ConsentEvent), events)
    db.execute(sa.insert(Suppression), suppressed)
    db.flush()


def _contacts(rng: random.Random) -> list[dict[str, str]]:
    """Every person in some shape (email, phone, both, both of two different people, mixed
    case, spaces, extra fields) and unknown people, shuffled."""
    contacts: list[dict[str, str]] = []
    for n in range(PEOPLE + PEOPLE // 5):
        shape = rng.random()
        email = _email(n).upper() if rng.random() < 0.1 else _email(n)
        if shape < 0.6:
            contacts.append({"email": email, "id": str(n)})
        elif shape < 0.75:
            contacts.append({"phone": _phone(n)})
        elif shape < 0.9:
            contacts.append({"email": f" {email}", "phone": _phone(n)})
        else:
            contacts.append({"email": email, "phone": _phone(rng.randrange(PEOPLE))})
    rng.shuffle(contacts)
    return contacts


def test_the_fast_filter_answers_as_the_one_it_replaced(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    rng = random.Random(2026)
    _seed(db, keyring, rng)
    contacts = _contacts(rng)
    small = contacts[:300]  # fewer contacts than people with events: matched by hashing
    reasons: set[str] = set()
    for purpose, channel in CASES:
        for audience in (contacts, small):
            for moment in (NOW, NOW + timedelta(days=400)):  # later: more consents expired
                arguments: dict[str, Any] = {
                    "datamap": shop, "keyring": keyring, "contacts": audience,
                    "purpose": purpose, "channel": channel, "now": moment,
                }  # fmt: skip
                new = filter_audience(db, **arguments)
                old = audience_reference.filter_audience(db, **arguments)
                assert new.allowed == old.allowed, (purpose, channel, len(audience), moment)
                assert new.excluded == old.excluded, (purpose, channel, len(audience), moment)
                reasons.update(old.excluded)
    # A material notice change a year ago: consents given before it must be asked again.
    notice = NoticeVersion(version="2", language="en", sha256="1" * 64, text="New purposes.",
                           material=True, published_at=NOW - timedelta(days=365),
                           published_by="staff:1")  # fmt: skip
    db.add(notice)
    db.flush()
    db.add(NoticePurpose(notice_id=notice.id, purpose="newsletter"))
    db.flush()
    for channel in ("email", "sms"):
        arguments = {
            "datamap": shop, "keyring": keyring, "contacts": contacts,
            "purpose": "newsletter", "channel": channel, "now": NOW,
        }  # fmt: skip
        new = filter_audience(db, **arguments)
        old = audience_reference.filter_audience(db, **arguments)
        assert (new.allowed, new.excluded) == (old.allowed, old.excluded), channel
        reasons.update(old.excluded)
    # The ledger is varied enough for the comparison to mean something.
    assert reasons >= {"no_consent", "withdrawn", "refused", "expired", "channel_opted_out",
                       "objected", "suppressed", "reconsent_required", "channel_not_declared", "no_address_for_channel"}  # fmt: skip
