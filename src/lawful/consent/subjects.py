"""The people the ledger speaks about, written `TYPE:VALUE` and normalised once.

Email addresses and phone numbers are normalised as the engine normalises identities, so a
consent recorded for `Ann@Example.org` is found for `ann@example.org`, and the suppression
list written by an erasure matches too. Browsers are known by the cookie banner's random id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lawful.consent.errors import ConsentInputError
from lawful.consent.models import SubjectKind
from lawful.consent.policy import ConsentPolicy
from lawful.engine.identity import normalise_email
from lawful.engine.phone import PhoneNumberError, to_e164

BROWSER_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_MAX_VALUE = 320  # RFC 5321 §4.5.3.1: the longest email address


@dataclass(frozen=True)
class Subject:
    """A normalised subject; `key` ("email:ann@example.org") is what the blind index hashes."""

    kind: str
    value: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.value}"


def parse_subject(text: str, *, policy: ConsentPolicy) -> Subject:
    """`email:Ann@Example.org`, `phone:+33 6 12 34 56 78`, `browser:<id>`, an identity type of
    the map (`customer_id:C-12`), or a bare email address or international phone number."""
    kind, sep, value = text.partition(":")
    if not sep or (kind not in policy.identity_kinds and "@" in text):
        kind, value = _guess_kind(text.strip()), text
    return normalise_subject(kind.strip(), value, policy=policy)


def normalise_subject(kind: str, value: str, *, policy: ConsentPolicy) -> Subject:
    """A subject from its type and raw value; raises ConsentInputError when malformed."""
    canonical = policy.identity_kinds.get(kind)
    if canonical is None:
        known = ", ".join(sorted(policy.identity_kinds))
        raise ConsentInputError(
            f"unknown subject type {kind[:40]!r}: use one of {known}", field="subject"
        )
    value = value.strip()
    if not value or len(value) > _MAX_VALUE or not value.isprintable():
        raise ConsentInputError(
            f"the {kind} value is empty, too long or not printable", field="subject"
        )
    return Subject(canonical, _normalised_value(canonical, value, policy))


def _normalised_value(kind: str, value: str, policy: ConsentPolicy) -> str:
    try:
        if kind == SubjectKind.email:
            return normalise_email(value)
        if kind == SubjectKind.phone:
            return to_e164(value, default_country=policy.country)
    except (ValueError, PhoneNumberError) as error:
        raise ConsentInputError(str(error), field="subject") from None
    if kind == SubjectKind.browser and not BROWSER_ID.match(value):
        raise ConsentInputError(
            "a browser id is 16 to 64 letters, digits, '-' or '_'", field="subject"
        )
    return value


def _guess_kind(text: str) -> str:
    if "@" in text:
        return SubjectKind.email
    if text[:1] == "+" or text[:1].isdigit():
        return SubjectKind.phone
    raise ConsentInputError(
        f"{text[:40]!r} is not a subject: write TYPE:VALUE, e.g. email:ann@example.org",
        field="subject",
    )
