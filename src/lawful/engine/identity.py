"""A person's identity values, normalised once so every store is searched the same way.

Email addresses are trimmed and lower-cased; phone numbers and caller ids (ANI) go to E.164;
other identifiers (customer number, …) are trimmed. A malformed value is refused here,
before any datastore is touched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from lawful.datamap.models import DataMap
from lawful.engine.errors import EngineProblem, IdentityError
from lawful.engine.phone import PhoneNumberError, to_e164

# One @, no spaces, a dot in the domain: what RFC 5321 mailboxes look like in practice.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
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
    """Trimmed and lower-cased; raises ValueError when it cannot be an email address."""
    email = value.strip().lower()
    if not _EMAIL.match(email):
        raise ValueError(f"{value!r} is not an email address (expected name@domain.tld)")
    return email


def _hint(identity_type: str, kinds: dict[str, IdentityKind]) -> str:
    if identity_type not in kinds:
        return f"known identity types: {', '.join(sorted(kinds)) or 'none (add `identities:`)'}"
    return {
        IdentityKind.email: "give the address as name@domain.tld",
        IdentityKind.phone: "give the number in international form, e.g. +33612345678",
        IdentityKind.text: "give the value as the store holds it",
    }[kinds[identity_type]]
