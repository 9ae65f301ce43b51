"""Classify a column to a data category from its name, its live type and sample values.

Values win over names: a column named `notes` or `col7` whose values are emails is
`contact.email`; `email_template` whose values hold nothing personal is not personal.
Only counts and categories leave this module — never a value.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from lawful.recognizers.analyzer import Analyzer

# Entity type → data category of the default taxonomy (src/lawful/datamap/taxonomy).
ENTITY_CATEGORIES = {
    "EMAIL": "contact.email",
    "PHONE_NUMBER": "contact.phone",
    "IBAN": "financial.bank_account",
    "CREDIT_CARD": "financial.payment_card",
    "IP_ADDRESS": "identifier.ip_address",
    "FR_NIR": "identifier.government_id.social_security",
    "GR_AMKA": "identifier.government_id.social_security",
    "US_SSN": "identifier.government_id.social_security",
    "UK_NINO": "identifier.government_id.social_security",
    "GR_AFM": "identifier.tax_id",
    "IT_FISCAL_CODE": "identifier.tax_id",
    "ES_DNI": "identifier.government_id.national_id",
    "DATE_OF_BIRTH": "demographic.birth_date",
    "ADDRESS": "contact.postal_address",
    "POSTAL_CODE": "contact.postal_address",
    "PERSON": "name",
}
FREE_TEXT = "communication.message"
# Categories values can confirm: a name pointing at one of them needs the values to agree.
# Not tax ids: the recognizers check Greek and Italian ones only, VAT numbers are many more.
CHECKABLE = frozenset(ENTITY_CATEGORIES.values()) - {
    "name",
    "contact.postal_address",
    "demographic.birth_date",
    "identifier.tax_id",
}

# Words of a column name (split on `_`, digits and case) → category.
NAME_HINTS: dict[str, str] = {
    "email": "contact.email", "mail": "contact.email", "courriel": "contact.email",
    "phone": "contact.phone", "mobile": "contact.phone", "tel": "contact.phone",
    "telephone": "contact.phone", "fax": "contact.phone", "msisdn": "contact.phone",
    "ani": "identifier.caller_id", "caller": "identifier.caller_id",
    "iban": "financial.bank_account", "bic": "financial.bank_account",
    "card": "financial.payment_card", "pan": "financial.payment_card",
    "ip": "identifier.ip_address",
    "ssn": "identifier.government_id.social_security", "nir": "identifier.government_id.social_security",
    "amka": "identifier.government_id.social_security", "nino": "identifier.government_id.social_security",
    "afm": "identifier.tax_id", "vat": "identifier.tax_id", "tin": "identifier.tax_id",
    "dni": "identifier.government_id.national_id", "nie": "identifier.government_id.national_id",
    "passport": "identifier.government_id.passport",
    "birth": "demographic.birth_date", "dob": "demographic.birth_date", "birthdate": "demographic.birth_date",
    "birthday": "demographic.birth_date", "born": "demographic.birth_date",
    "name": "name", "firstname": "name", "lastname": "name", "surname": "name", "fullname": "name",
    "prenom": "name", "nom": "name",
    "address": "contact.postal_address", "street": "contact.postal_address", "city": "contact.postal_address",
    "postcode": "contact.postal_address", "zip": "contact.postal_address", "postal": "contact.postal_address",
    "town": "contact.postal_address",
    "country": "location.approximate",  # part of the address beside one (context.in_context)
    "cookie": "identifier.cookie_id", "consent": "preference",
    "unsubscribed": "preference.marketing", "optin": "preference.marketing",
    "url": "online_activity.browsing", "referrer": "online_activity.browsing",
    "referer": "online_activity.browsing",
    "disability": "special.health", "health": "special.health", "medical": "special.health",
    "criminal": "criminal", "reference": "identifier",
    "gender": "demographic.gender", "nationality": "demographic.nationality",
    "body": FREE_TEXT, "message": FREE_TEXT, "comment": FREE_TEXT, "notes": FREE_TEXT,
    "note": FREE_TEXT, "transcript": FREE_TEXT,
}  # fmt: skip
# Two words of a column name, read before the rest (`card_last4` is card data a recognizer
# cannot check; `company_name` is professional, though a company is not personal).
COMPOUND_HINTS: dict[str, str] = {
    "card_last": "financial.payment_card", "card_token": "financial.payment_card",
    "card_fingerprint": "financial.payment_card", "card_expiry": "financial.payment_card",
    "card_hash": "financial.payment_card", "card_holder": "financial.payment_card",
    "user_agent": "device", "cookie_id": "identifier.cookie_id",
    "customer_number": "identifier.customer", "account_number": "identifier.customer",
    "client_number": "identifier.customer", "member_number": "identifier.customer",
    "company_name": "professional", "employer": "professional",
    "job_title": "professional.job_title",
}  # fmt: skip
# Words that say a column is about a thing, not a person (`email_template`, `company_name`).
NOT_PERSONAL = frozenset(
    {"template", "subject", "type", "status", "count", "verified", "sent", "opened", "domain",
     "format", "id", "company", "product", "file", "table", "host", "service", "campaign",
     "version", "key", "ref", "cents", "amount", "price", "total"}
)  # fmt: skip
_SPLIT = re.compile(r"[^A-Za-z]+|(?<=[a-z])(?=[A-Z])")
VALUE_SHARE = 0.6  # share of non-empty values that must be one entity to decide by values
MAX_VALUE_LENGTH = 2000  # characters of each value analysed


@dataclass(frozen=True)
class ColumnClass:
    """A column's guessed category (None: nothing personal), confidence in [0, 1], and the
    evidence: `name`, `values` or `both`. `sampled` counts the values read, `matched` those
    that were the entity."""

    category: str | None
    confidence: float
    evidence: str
    sampled: int = 0
    matched: int = 0
    free_text: bool = False  # free text holding personal data, by its values

    @property
    def personal(self) -> bool:
        return self.category is not None


def category_from_name(name: str) -> str | None:
    """The category a column's name suggests, or None."""
    compound = _compound(name)
    if compound:
        return compound
    words = [w.lower() for w in _SPLIT.split(name) if w]
    if any(w in NOT_PERSONAL for w in words):
        return None
    for word in words:
        hint = NAME_HINTS.get(word)
        if hint:
            return hint
    return None


def _compound(name: str) -> str | None:
    words = [w.lower() for w in _SPLIT.split(name) if w]
    for pair in itertools.pairwise(words):
        compound = COMPOUND_HINTS.get("_".join(pair))
        if compound:
            return compound
    return None


def classify_column(
    name: str, live_type: str, values: Sequence[object], *, analyzer: Analyzer
) -> ColumnClass:
    """Classify one column from its name, live type and sampled values (values win)."""
    texts = [v.strip()[:MAX_VALUE_LENGTH] for v in values if isinstance(v, str) and v.strip()]
    by_name = category_from_name(name)
    by_values, matched = _from_values(texts, analyzer)
    share = matched / len(texts) if texts else 0.0
    if by_values == "name" and by_name not in (None, "name"):
        # Names are known only from word lists (towns are often named after families):
        # weak evidence, so a name saying what else the column holds wins over it.
        by_values = None
    if by_values is not None:
        agree = by_name == by_values or (by_name, by_values) == (
            "identifier.caller_id",
            "contact.phone",
        )
        category = by_name if agree else by_values
        return ColumnClass(
            category,
            round(min(1.0, share + (0.1 if agree else 0)), 2),
            "both" if agree else "values",
            len(texts),
            matched,
            free_text=by_values == FREE_TEXT,
        )
    if by_name is None:
        return ColumnClass(None, 0.0, "values" if texts else "name", len(texts), 0)
    checkable = by_name in CHECKABLE | {"identifier.caller_id"} and _compound(name) is None
    if checkable and texts:
        # The name says email (or phone …), the values say otherwise: the values win.
        return ColumnClass(None, round(1 - share, 2), "values", len(texts), matched)
    if by_name == "demographic.birth_date" and not _date_like(live_type, texts):
        return ColumnClass(None, 0.5, "values", len(texts), 0)
    return ColumnClass(by_name, 0.6 if texts or values else 0.4, "name", len(texts), matched)


def _from_values(texts: Sequence[str], analyzer: Analyzer) -> tuple[str | None, int]:
    """The category most values are, wholly (and how many), else free text holding personal
    data, else None."""
    if not texts:
        return None, 0
    whole: Counter[str] = Counter()
    holding = 0
    long_texts = 0
    for text, findings in zip(texts, analyzer.analyze_many(texts), strict=True):
        covering = [f for f in findings if (f.end - f.start) >= 0.8 * len(text)]
        if covering:
            whole[ENTITY_CATEGORIES.get(covering[0].entity, "")] += 1
        elif findings:
            holding += 1
        long_texts += len(text) > 40 and " " in text
    if whole:
        category, count = whole.most_common(1)[0]
        if category and count >= VALUE_SHARE * len(texts):
            return category, count
    # Free text holding personal data: a few texts naming someone are enough, one is chance.
    holding += sum(whole.values())
    if long_texts >= VALUE_SHARE * len(texts) and holding >= max(2, 0.05 * len(texts)):
        return FREE_TEXT, holding
    return None, 0


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}|^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$")


def _date_like(live_type: str, texts: Sequence[str]) -> bool:
    if "DATE" in live_type.upper() or "TIME" in live_type.upper():
        return True
    return bool(texts) and sum(bool(_DATE.match(t)) for t in texts) >= VALUE_SHARE * len(texts)
