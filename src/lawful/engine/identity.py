"""A person's identity values, normalised once so every store is searched the same way.

Email addresses are trimmed, lower-cased and, when a person gives them, checked by
`email_validator` (`normalise_email`); phone numbers and caller ids (ANI) go to E.164;
other identifiers (customer number, …) are trimmed. A malformed value is refused here,
before any datastore is touched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from lawful.datamap.models import DataMap
from lawful.engine.errors import EngineProblem, IdentityError
from lawful.engine.phone import PhoneNumberError, to_e164

# One @, no spaces, a dot in the domain: what addresses already held in a store look like.
_STORED_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
# The addresses nearly everyone has, checked without the library: a strict subset of what
# `email_validator` accepts (plain ASCII, no hyphen at a label's ends, a letters-only top-level
# domain), so audiences of a million contacts stay fast. Anything else goes to the library.
_PLAIN_EMAIL = re.compile(
    r"[a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*@(?:[a-z0-9]+(?:-[a-z0-9]+)*\.)+[a-z]{2,63}\Z"
)
# RFC 5321 §4.5.3.1.1 (local part), RFC 1035 §2.3.4 (label), the longest usable forward-path.
_MAX_LOCAL, _MAX_LABEL, _MAX_EMAIL = 64, 63, 254
# An address ending in a special-use top-level domain, anywhere in a list joined by newlines.
_SPECIAL_USE_END = re.compile(
    rf"\.(?:{'|'.join(map(re.escape, SPECIAL_USE_DOMAIN_NAMES))})(?=\n|\Z)"
)
_MAX_VALUE = 320  # RFC 5321 §4.5.3.1: 64 + 1 + 255, the longest email; longer is never an id
_EMAIL_CATEGORIES = ("contact.email",)
_PHONE_CATEGORIES = ("contact.phone", "identifier.caller_id")
_EMAIL_TYPES = {"email", "email_address"}
_PHONE_TYPES = {"phone", "mobile", "ani", "caller_id", "msisdn", "phone_number"}


class IdentityKind(StrEnum):
    email = "email"
    phone = "phone"
    text = "text"


@dataclass(frozen=True)
class Identity:
    """Normalised `(type, value)` pairs, sorted and without repeats."""

    values: tuple[tuple[str, str], ...]

    def of(self, identity_type: str) -> list[str]:
        return [value for kind, value in self.values if kind == identity_type]

    def types(self) -> list[str]:
        return list(dict.fromkeys(kind for kind, _ in self.values))

    def canonical(self) -> str:
        """One string per identity, for its blind index."""
        return "\n".join(f"{kind}={value}" for kind, value in self.values)


def identity_types(datamap: DataMap) -> dict[str, IdentityKind]:
    """Every identity type the map declares, with how its values are normalised."""
    kinds: dict[str, IdentityKind] = {}
    for dataset in datamap.datasets.values():
        for identity_type, names in dataset.identity_fields().items():
            for field_name in names:
                field = dataset.fields.get(field_name)
                category = field.category if field else ""
                kind = _kind(identity_type, category)
                if kinds.get(identity_type, IdentityKind.text) is IdentityKind.text:
                    kinds[identity_type] = kind
    return kinds


def _kind(identity_type: str, category: str) -> IdentityKind:
    if identity_type in _EMAIL_TYPES or category.startswith(_EMAIL_CATEGORIES):
        return IdentityKind.email
    if identity_type in _PHONE_TYPES or category.startswith(_PHONE_CATEGORIES):
        return IdentityKind.phone
    return IdentityKind.text


def parse_identity(pairs: Iterable[str], *, datamap: DataMap) -> Identity:
    """`["email=Ann@X.org", "phone=06 12 34 56 78"]` → a normalised Identity.

    Raises IdentityError listing every malformed value or unknown type.
    """
    split = [pair.partition("=") for pair in pairs]
    problems = [
        EngineProblem(f"{kind!r} is not TYPE=VALUE", "write e.g. email=ann@example.org")
        for kind, sep, _ in split
        if not sep
    ]
    values = [(kind.strip(), value) for kind, sep, value in split if sep]
    return normalise_identity(values, datamap=datamap, problems=problems)


def normalise_identity(
    values: Iterable[tuple[str, str]],
    *,
    datamap: DataMap,
    problems: list[EngineProblem] | None = None,
) -> Identity:
    """Normalise `(type, raw value)` pairs against the types the data map declares."""
    kinds = identity_types(datamap)
    country = datamap.organization.address.country
    found: set[tuple[str, str]] = set()
    problems = list(problems or [])
    for identity_type, raw in values:
        try:
            found.add((identity_type, _normalise(identity_type, raw, kinds, country)))
        except ValueError as error:
            problems.append(EngineProblem(str(error), _hint(identity_type, kinds)))
    if not found and not problems:
        problems.append(EngineProblem("no identity given", "pass e.g. --identity email=…"))
    if problems:
        raise IdentityError(problems)
    return Identity(tuple(sorted(found)))


def _normalise(identity_type: str, raw: str, kinds: dict[str, IdentityKind], country: str) -> str:
    if identity_type not in kinds:
        raise ValueError(f"no dataset declares the identity type `{identity_type}`")
    value = raw.strip()
    if not value or len(value) > _MAX_VALUE or not value.isprintable():
        raise ValueError(f"the {identity_type} value is empty, too long or not printable")
    kind = kinds[identity_type]
    if kind is IdentityKind.email:
        return normalise_email(value)
    if kind is IdentityKind.phone:
        try:
            return to_e164(value, default_country=country)
        except PhoneNumberError as error:
            raise ValueError(f"{identity_type}: {error}") from None
    return value


def normalise_email(value: str) -> str:
    """Trimmed and lower-cased; raises ValueError, saying why, when it is not an address one
    could write to (RFC 5321/5322 syntax, checked by `email_validator`, without DNS)."""
    email = value.strip().lower()
    if _is_plain_email(email):
        return email
    if "\ufffd" in email:  # what a decoder leaves of bytes it could not read
        raise ValueError(
            f"{value[:80]!r} is not an email address: it has characters lost in transit"
        )
    try:
        checked = validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(f"{value[:80]!r} is not an email address: {error}") from None
    return checked.normalized.lower()


def normalise_emails(values: list[str]) -> list[str]:
    """`normalise_email` of each value, for audiences of millions: the list is lower-cased
    in one call and checked by one expression per address; only the addresses it does not
    take (spaces around, non-ASCII, unusual but valid) go through `normalise_email` alone.
    Raises ValueError for the first that is not an address."""
    joined = "\n".join(values)
    if len(values) < 2 or joined.count("\n") != len(values) - 1:
        return [normalise_email(value) for value in values]
    lowered = joined.lower()
    emails = lowered.split("\n")
    # The shape of each, in C; the lengths cannot be exceeded by addresses of 63 characters
    # or fewer (`_is_plain_email` checks them, one by one, for a list with longer ones).
    if (
        max(map(len, emails)) > _MAX_LABEL
        or None in map(_PLAIN_EMAIL.match, emails)
        or _SPECIAL_USE_END.search(lowered)
    ):
        return [normalise_email(value) for value in values]
    return emails


def stored_email(value: str) -> str:
    """An address as a datastore already holds it, trimmed and lower-cased for matching; raises
    ValueError only when it has no `name@domain.tld` shape. Looser than `normalise_email` on
    purpose: a store's `ann@intranet.local` is still Ann's (a breach must count her), while an
    address someone types must be one that can be written to."""
    email = value.strip().lower()
    if not _STORED_EMAIL.match(email):
        raise ValueError(f"{value[:80]!r} is not an email address (expected name@domain.tld)")
    return email


def _is_plain_email(email: str) -> bool:
    if len(email) > _MAX_EMAIL or not _PLAIN_EMAIL.match(email):
        return False
    local, _, domain = email.partition("@")
    labels = domain.split(".")
    return (
        len(local) <= _MAX_LOCAL
        and max(map(len, labels)) <= _MAX_LABEL
        and labels[-1] not in SPECIAL_USE_DOMAIN_NAMES
    )


def _hint(identity_type: str, kinds: dict[str, IdentityKind]) -> str:
    if identity_type not in kinds:
        return f"known identity types: {', '.join(sorted(kinds)) or 'none (add `identities:`)'}"
    return {
        IdentityKind.email: "give the address as name@domain.tld",
        IdentityKind.phone: "give the number in international form, e.g. +33612345678",
        IdentityKind.text: "give the value as the store holds it",
    }[kinds[identity_type]]
