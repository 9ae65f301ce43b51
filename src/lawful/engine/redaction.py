"""Free text in rights requests: the people named in a person's messages, notes and tickets.

A ticket the person wrote may name, call or copy someone else. GDPR Art. 15(4): the right to
obtain a copy "shall not adversely affect the rights and freedoms of others" — so an access
package replaces, in the person's free-text fields, the names, email addresses and phone
numbers that are not the person's own by a typed placeholder (`[other person's phone]`) and
counts them; the person's own identifiers stay. The `redact` erase strategy does the
opposite: it removes the person's own identifiers (or, with `value: all`, everything found)
from the text and keeps the rest (Art. 17(1): erase what identifies the person).

Texts are read by the discovery analyzer (`lawful.recognizers.analyzer`). Nothing found leaves
this module but the new text and counts per entity type: no finding is ever logged.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from lawful.datamap.models import DataMap
from lawful.engine.identity import Identity, IdentityKind, identity_types, stored_email
from lawful.engine.phone import PhoneNumberError, to_e164
from lawful.recognizers.analyzer import Analyzer
from lawful.recognizers.recognizers import Finding

# The entities told apart as "the person's own" or "someone else's" (Art. 15(4)).
OTHERS = {
    "PERSON": "[other person's name]",
    "EMAIL": "[other person's email]",
    "PHONE_NUMBER": "[other person's phone]",
}
ERASED = {"PERSON": "[erased name]", "EMAIL": "[erased email]", "PHONE_NUMBER": "[erased phone]"}
IDENTIFIER = "IDENTIFIER"  # one of the person's other identity values, found as written
WHY_OTHERS = (
    "names, email addresses and phone numbers of other people found in your messages and "
    "notes are replaced by a placeholder, to protect their rights (GDPR Art. 15(4))"
)
_NAME_CATEGORY = "name"
_EMAIL_CATEGORY = "contact.email"
_PHONE_CATEGORIES = ("contact.phone", "identifier.caller_id")
_MIN_LITERAL = 4  # shorter identity values (a 3-digit id) would be found inside other words
_MIN_PHONE_DIGITS = 8  # a national number's significant digits, compared at the end


@dataclass(frozen=True)
class OwnIdentifiers:
    """The person's own emails, phone numbers (E.164 digits), name words and other identity
    values, normalised, to tell their identifiers from other people's in a text."""

    emails: frozenset[str]
    phones: frozenset[str]
    name_words: frozenset[str]
    literals: tuple[str, ...]
    country: str | None = None

    def owns(self, entity: str, found: str) -> bool:
        if entity == "EMAIL":
            return found.strip().lower() in self.emails
        if entity == "PHONE_NUMBER":
            return self._owns_phone(found)
        if entity == "PERSON":
            words = name_words(found)
            return bool(words) and words <= self.name_words
        return False

    def _owns_phone(self, found: str) -> bool:
        try:
            if to_e164(found, default_country=self.country)[1:] in self.phones:
                return True
        except PhoneNumberError:
            pass
        tail = re.sub(r"\D", "", found).lstrip("0")
        return len(tail) >= _MIN_PHONE_DIGITS and any(p.endswith(tail) for p in self.phones)


def own_identifiers(
    *, datamap: DataMap, identity: Identity, values: Iterable[tuple[str, Any]]
) -> OwnIdentifiers:
    """From the identity asked for and `(category, value)` pairs of the person's own rows:
    their names (categories `name*`), emails and phone numbers."""
    kinds = identity_types(datamap)
    country = datamap.organization.address.country
    emails: set[str] = set()
    phones: set[str] = set()
    words: set[str] = set()
    literals: list[str] = []
    for kind_name, value in identity.values:
        kind = kinds.get(kind_name, IdentityKind.text)
        if kind is IdentityKind.email:
            emails.add(value)
        elif kind is IdentityKind.phone:
            phones.add(value.removeprefix("+"))
        elif len(value) >= _MIN_LITERAL:
            literals.append(value)
    for category, value in values:
        if not isinstance(value, str) or not value.strip():
            continue
        if category == _NAME_CATEGORY or category.startswith(_NAME_CATEGORY + "."):
            words |= name_words(value)
        elif category.startswith(_EMAIL_CATEGORY):
            emails |= _maybe(stored_email, value)
        elif category.startswith(_PHONE_CATEGORIES):
            phones |= _maybe(lambda v: to_e164(v, default_country=country)[1:], value)
    return OwnIdentifiers(
        frozenset(emails), frozenset(phones), frozenset(words), tuple(literals), country
    )


def _maybe(normalise: Any, value: str) -> set[str]:
    try:
        return {normalise(value)}
    except ValueError:
        return set()


def name_words(text: str) -> frozenset[str]:
    """The words of a name, case- and accent-blind: "Zoé  DUPONT" → {"zoe", "dupont"}."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return frozenset(re.findall(r"\w+", plain.casefold()))


def redact_others(text: str, *, own: OwnIdentifiers) -> tuple[str, Counter[str]]:
    """`text` with other people's names, emails and phones replaced (GDPR Art. 15(4)), and
    how many of each were replaced."""
    others = [
        f
        for f in _analyzer().analyze(text)
        if f.entity in OTHERS and not own.owns(f.entity, text[f.start : f.end])
    ]
    return _replaced(text, others, OTHERS), Counter(f.entity for f in others)


def redact_own(text: str, *, own: OwnIdentifiers | None) -> str:
    """`text` without the person's own identifiers (names, emails, phones and other identity
    values as written); with `own` None, without anything the analyzer finds."""
    found = _analyzer().analyze(text)
    if own is not None:
        found = [f for f in found if own.owns(f.entity, text[f.start : f.end])]
        found = _with_literals(text, found, own.literals)
    return _replaced(text, found, ERASED)


def _with_literals(text: str, found: list[Finding], literals: tuple[str, ...]) -> list[Finding]:
    """Add the person's other identity values (a customer number) where they appear whole."""
    spans = list(found)
    for literal in literals:
        pattern = re.compile(rf"(?<!\w){re.escape(literal)}(?!\w)", re.IGNORECASE)
        for match in pattern.finditer(text):
            if not any(f.start < match.end() and match.start() < f.end for f in spans):
                spans.append(Finding(match.start(), match.end(), IDENTIFIER, 1.0, "identity"))
    return sorted(spans, key=lambda f: f.start)


def _replaced(text: str, findings: list[Finding], placeholders: dict[str, str]) -> str:
    parts: list[str] = []
    position = 0
    for finding in sorted(findings, key=lambda f: f.start):
        parts += [text[position : finding.start], _placeholder(finding.entity, placeholders)]
        position = finding.end
    return "".join(parts) + text[position:]


def _placeholder(entity: str, placeholders: dict[str, str]) -> str:
    if entity in placeholders:
        return placeholders[entity]
    return f"[erased {entity.lower().replace('_', ' ')}]"


@cache
def _analyzer() -> Analyzer:
    """Every installed recognizer, built once (the name lists are read on first use)."""
    return Analyzer()
